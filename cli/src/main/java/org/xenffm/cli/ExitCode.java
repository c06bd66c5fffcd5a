// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** The CLI's exit codes, documented in every verb's --help and in docs/cli.md. */
public final class ExitCode {
    private ExitCode() {}

    /** Success. */
    public static final int OK = 0;
    /** A libxenctrl call failed; the message names the operation, domain, gfn/view and errno. */
    public static final int XEN_ERROR = 1;
    /** Bad command line (unknown verb or option, malformed domain, gfn, range or access). */
    public static final int USAGE = 2;
    /** Xen cannot be reached: no libxenctrl, or not dom0 of a Xen host (/dev/xen/privcmd missing). */
    public static final int XEN_NOT_AVAILABLE = 3;
    /** The hypervisor crashed (the emulator models real Xen's panics; afterwards every call fails). */
    public static final int HYPERVISOR_CRASHED = 4;
    /** A check found a problem: audit inconsistencies, a broken sharing invariant. */
    public static final int CHECK_FAILED = 5;
    /** Refused as unsafe: real Xen 4.17 would panic (--force overrides), or org.xenffm.safe refused a conflict. */
    public static final int REFUSED_UNSAFE = 6;
    /**
     * The ledger (--ledger) could not be saved — the Xen calls before it happened and the message lists what the file
     * now lacks — or it stayed locked by another run past --ledger-wait.
     */
    public static final int LEDGER = 7;
    /** A bug in xenffm (an unexpected exception; the stack trace is printed). */
    public static final int INTERNAL = 70;

    /** For picocli's "Exit codes:" help section. */
    static Map<String, String> helpList() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(" " + OK, "success");
        m.put(" " + XEN_ERROR, "a Xen call failed (operation, domain, gfn and errno are printed)");
        m.put(" " + USAGE, "usage error (bad verb, option or argument)");
        m.put(" " + XEN_NOT_AVAILABLE, "Xen not available here (try --backend emulated)");
        m.put(" " + HYPERVISOR_CRASHED, "the hypervisor crashed (Xen would panic on this sequence)");
        m.put(" " + CHECK_FAILED, "a check failed (audit inconsistencies, broken invariant), or a virtual address that does not translate");
        m.put(" " + REFUSED_UNSAFE, "refused as unsafe: Xen would panic (--force overrides)");
        m.put(" " + LEDGER, "the ledger could not be saved (the message lists what it lacks) or stayed locked");
        m.put(INTERNAL + "", "internal error in xenffm");
        m.put("130", "stopped by Ctrl-C (143: SIGTERM); what was done is printed first");
        return m;
    }
}
