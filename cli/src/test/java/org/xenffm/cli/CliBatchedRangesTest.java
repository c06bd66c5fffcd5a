// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.num;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.P2mType;

/**
 * Issue 14 item 4, memory independent of a range's size: the verbs that act on what a walk found work in batches of
 * {@link SharingCommands#BATCH} gfns. Ranges here span three batches and end mid-batch, so every batch boundary and
 * the short last batch are crossed; the result must be the same as one pass would give.
 */
class CliBatchedRangesTest {
    static final DomainId D1 = DomainId.of(1), D2 = DomainId.of(2);
    static final long PAGES = 3 * SharingCommands.BATCH + 100;
    final EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x" + PAGES));

    Map<String, Object> last(String... args) {
        Run r = Run.emulatedJson(emu, args);
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        return r.json().getLast();
    }

    @Test
    void unshareAcrossBatchesUnsharesEveryFoundGfnOnce() {
        long lastGfn = PAGES - 1, lo = 0x10, hi = lastGfn - 7;
        last("range-share", "1", "2", "0x0-0x" + Long.toHexString(lastGfn));
        long sharedBefore = emu.domainGetinfo(D2).shrPages(), inRange = 0;
        for (long g = lo; g <= hi; g++) if (emu.hostEntry(D2, Gfn.of(g)).type() == P2mType.RAM_SHARED) inRange++;
        assertTrue(inRange > 2L * SharingCommands.BATCH, "the shared gfns span more than two batches: " + inRange);
        Map<String, Object> r = last("unshare", "2", "0x" + Long.toHexString(lo) + "-0x" + Long.toHexString(hi));
        assertEquals(inRange, num(r.get("unshared")), r::toString);
        assertEquals(java.util.List.of(), r.get("still_shared"));
        assertEquals(sharedBefore - inRange, emu.domainGetinfo(D2).shrPages(), "exactly the range left the sharing");
        for (long g = lo; g <= hi; g++)
            assertNotEquals(P2mType.RAM_SHARED, emu.hostEntry(D2, Gfn.of(g)).type(), "inside the range: " + g);
        long outside = 0;
        for (long g = 0; g < PAGES; g++)
            if ((g < lo || g > hi) && emu.hostEntry(D2, Gfn.of(g)).type() == P2mType.RAM_SHARED) outside++;
        assertEquals(sharedBefore - inRange, outside, "outside the range: still shared");
    }

    @Test
    void altp2mAccessSetAcrossBatchesSetsTheWholeRangeAndNothingElse() {
        emu.hvmParamSet(D1, org.xenffm.api.HvmParam.ALTP2M, 2);
        emu.altp2mSetDomainState(D1, true);
        last("altp2m", "create", "1");
        long first = 0x5, lastGfn = PAGES - 3;
        Map<String, Object> r = last("altp2m", "access", "set", "1", "1", "r", "0x5-0x" + Long.toHexString(lastGfn));
        assertEquals("r", r.get("access"));
        ViewId v = ViewId.of(1);
        for (long g : new long[] {first, Altp2mCommands.BATCH - 1, Altp2mCommands.BATCH, 2L * Altp2mCommands.BATCH + 4,
                lastGfn})
            assertEquals(MemAccess.R, emu.altp2mGetMemAccess(D1, v, Gfn.of(g)), "gfn " + g);
        assertNotEquals(MemAccess.R, viewAccess(v, first - 1), "before the range");
        assertNotEquals(MemAccess.R, viewAccess(v, lastGfn + 1), "after the range");
    }

    /** The view's access, or null where the view holds no entry (the emulator, like Xen, answers ESRCH). */
    MemAccess viewAccess(ViewId v, long g) {
        try {
            return emu.altp2mGetMemAccess(D1, v, Gfn.of(g));
        } catch (org.xenffm.api.XenException e) {
            assertEquals(org.xenffm.api.Errno.ESRCH, e.errno());
            return null;
        }
    }

    @Test
    void keptRangeShareAcrossBatchesCountsEveryGfn() {
        Map<String, Object> r = last("--keep-views", "range-share", "1", "2", "0x0-0x" + Long.toHexString(PAGES - 1));
        assertEquals(PAGES, num(r.get("gfns")));
        assertEquals(PAGES, num(r.get("shared")) + num(r.get("refused")), r::toString);
        assertTrue(num(r.get("shared")) > 2L * SharingCommands.BATCH, "shared in more than two batches: " + r);
        assertEquals(num(r.get("shared")), emu.domainGetinfo(D2).shrPages(), "what it says it shared is shared");
    }
}
