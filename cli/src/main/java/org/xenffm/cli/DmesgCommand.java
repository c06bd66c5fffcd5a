// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.Hypervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/** {@code dmesg}: Xen's console ring, as {@code xl dmesg} prints it. */
@Command(name = "dmesg", sortOptions = false, usageHelpAutoWidth = true,
        header = "Show Xen's console ring (what xl dmesg shows).",
        description = {"Reads the hypervisor's console ring with xc_readconsolering (XEN_SYSCTL_readconsole), oldest",
                "line first: Xen's boot messages and what it printed since (warnings about guests, vm_event",
                "responses of the wrong version, crashed domains, ...). The ring keeps the last 16 KiB unless Xen",
                "was booted with conring_size=. On the emulated backend the ring holds what the emulated Xen",
                "printed for the conditions it models. --clear empties the ring after reading (xl dmesg -c)."},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm dmesg", "  xenffm dmesg --clear", "  xenffm --json dmesg | jq -r '.lines[]'"})
final class DmesgCommand extends XenCommand {
    @Option(names = {"-c", "--clear"}, description = "empty the ring after reading it")
    boolean clear;

    @Override int run(Hypervisor hv, Printer out) {
        String text = hv.readConsoleRing(clear);
        List<String> lines = text.isEmpty() ? List.of() : List.of(text.split("\n"));
        out.result(Json.object().put("lines", lines).put("cleared", clear), String.join("\n", lines));
        return ExitCode.OK;
    }
}
