// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.nio.file.Path;
import org.xenffm.api.DomainId;

/**
 * A separate process writing one ledger, for {@link LedgerFileTest}: {@code add FILE FROM TO} adds domains
 * FROM..TO-1, one locked read-modify-save each; {@code grow FILE} adds domain n+1 to a ledger of n domains forever,
 * printing READY after its first save (to be killed with SIGKILL at a random point).
 */
public final class LedgerChild {
    private LedgerChild() {}

    public static void main(String[] args) {
        Path file = Path.of(args[1]);
        if (args[0].equals("add")) {
            for (int d = Integer.parseInt(args[2]); d < Integer.parseInt(args[3]); d++) addDomain(file, d);
        } else {
            for (boolean first = true; ; first = false) {
                try (LedgerFile f = LedgerFile.lock(file, null, "grow", m -> {})) {
                    Ledger l = f.read();
                    l.book(DomainId.of(l.domains().size() + 1));
                    f.save(l);
                }
                if (first) System.out.println("READY");
            }
        }
    }

    static void addDomain(Path file, int d) {
        try (LedgerFile f = LedgerFile.lock(file, null, "add d" + d, m -> {})) {
            Ledger l = f.read();
            l.book(DomainId.of(d));
            f.save(l);
        }
    }
}
