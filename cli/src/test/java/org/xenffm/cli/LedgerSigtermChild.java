// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.io.PrintWriter;
import org.xenffm.emulated.EmulatedHypervisor;

/**
 * Run in a child JVM by {@link CliLedgerTest}: {@code xenffm --ledger FILE batch SCRIPT} whose first line shares a
 * page and whose second runs {@code monitor} until a signal; READY is printed once the share happened, so the
 * signal arrives after a successful call that only the exit-time save would record.
 */
public final class LedgerSigtermChild {
    public static void main(String[] args) throws Exception {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x256"));
        PrintWriter out = new PrintWriter(System.out, true);
        Thread.ofPlatform().daemon(true).start(() -> Main.execute(new String[] {"--backend", "emulated",
                "--ledger", args[0], "batch", args[1]}, out, new PrintWriter(System.err, true),
                Backends.Opener.lending(emu), false));
        while (emu.sharingFreedPages() < 1) Thread.sleep(5);
        Thread.sleep(300); // monitor has started
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE);
    }
}
