// SPDX-License-Identifier: Apache-2.0
package org.xenffm;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.HostConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * README's "Using the library" code is examples/' DedupAndWatch (which the build runs on the emulator, native access
 * denied): the two must be the same text, and the error text README promises is what the library says.
 */
class ReadmeExampleTest {
    private static final Path EXAMPLE = Path.of("examples/src/main/java/org/xenffm/example/DedupAndWatch.java");

    @Test void readmeShowsTheExampleThatTheBuildRuns() throws Exception {
        List<String> src = Files.readAllLines(EXAMPLE);
        List<String> region = src.subList(src.indexOf("    // README-BEGIN") + 1, src.indexOf("    // README-END"))
                .stream().map(l -> l.startsWith("    ") ? l.substring(4) : l).toList();
        List<String> readme = Files.readAllLines(Path.of("README.md"));
        int section = readme.indexOf("## Using the library");
        int open = readme.subList(section, readme.size()).indexOf("```java") + section;
        int close = readme.subList(open + 1, readme.size()).indexOf("```") + open + 1;
        assertEquals(String.join("\n", region), String.join("\n", readme.subList(open + 1, close)),
                "README's library example differs from " + EXAMPLE + " (copy the README-BEGIN/END region)");
    }

    @Test void theErrorTextOnAHypervisorWithoutMemSharing() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.debian());
        DomainId a = emu.createGuest(1, 64);
        XenException e = assertThrows(XenException.class, () -> emu.memshrNominateGfn(a, Gfn.of(0x100)));
        assertEquals("xc_memshr_nominate_gfn failed for d1, gfn 0x100: ENOSYS (mem_sharing not built into this "
                + "hypervisor (CONFIG_MEM_SHARING is off))", e.getMessage());
    }
}
