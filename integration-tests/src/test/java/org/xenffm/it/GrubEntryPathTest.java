// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * provision/common.sh's grub_entry_path, which the Vagrant hosts use to make the Xen entry GRUB's default, on the
 * shape Debian's /etc/grub.d/20_linux_xen writes: per-Xen entries nested two submenus deep for the first Xen, one
 * deep for the others.
 */
class GrubEntryPathTest {
    private static final String GRUB_CFG = """
            menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-x' {
            \tlinux /vmlinuz
            }
            submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-x' {
            \tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-28-amd64' --class debian $menuentry_id_option 'a' {
            \t\tlinux /vmlinuz
            \t}
            }
            menuentry 'Debian GNU/Linux, with Xen hypervisor' --class debian $menuentry_id_option 'xen-simple-x' {
            \tmultiboot2 /boot/xen-4.17-memshr.gz
            }
            submenu 'Advanced options for Debian GNU/Linux (with Xen hypervisor)' $menuentry_id_option 'adv-x' {
            \tsubmenu 'Xen hypervisor, version 4.17-memshr' $menuentry_id_option 'xen-hypervisor-4.17-memshr-x' {
            \t\tmenuentry 'Debian GNU/Linux, with Xen 4.17-memshr and Linux 6.1.0-28-amd64' $menuentry_id_option 'b' {
            \t\t\tmultiboot2 /boot/xen-4.17-memshr.gz
            \t\t}
            \t\tmenuentry 'Debian GNU/Linux, with Xen 4.17-memshr and Linux 6.1.0-28-amd64 (recovery mode)' {
            \t\t\tmultiboot2 /boot/xen-4.17-memshr.gz
            \t\t}
            \t}
            \tmenuentry 'Debian GNU/Linux, with Xen 4.17-amd64 and Linux 6.1.0-28-amd64' $menuentry_id_option 'd' {
            \t\tmultiboot2 /boot/xen-4.17-amd64.gz
            \t}
            }
            """;

    @TempDir Path dir;

    private String path(String ere) throws IOException, InterruptedException {
        Path cfg = dir.resolve("grub.cfg");
        Files.writeString(cfg, GRUB_CFG);
        Path common = Path.of("integration-tests/provision/common.sh").toAbsolutePath();
        Process p = new ProcessBuilder("bash", "-c", ". \"$0\"; grub_entry_path \"$1\" \"$2\"", common.toString(), ere,
                cfg.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test void firstXenIsTwoSubmenusDeep() throws Exception {
        assertEquals("Advanced options for Debian GNU/Linux (with Xen hypervisor)>Xen hypervisor, version 4.17-memshr>"
                + "Debian GNU/Linux, with Xen 4.17-memshr and Linux 6.1.0-28-amd64", path("Xen 4[.]17-memshr "));
    }

    @Test void laterXenIsOneSubmenuDeepAfterTheInnerOneCloses() throws Exception {
        assertEquals("Advanced options for Debian GNU/Linux (with Xen hypervisor)>"
                + "Debian GNU/Linux, with Xen 4.17-amd64 and Linux 6.1.0-28-amd64", path("Xen 4[.]17-amd64 "));
    }

    @Test void noMatchPrintsNothing() throws Exception {
        assertEquals("", path("Xen 4[.]20-amd64 "));
    }
}
