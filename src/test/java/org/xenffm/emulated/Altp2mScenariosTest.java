// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/** docs/xen-semantics.md §8 scenarios 10–16 and 22–24: altp2m and its interaction with mem_sharing. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class Altp2mScenariosTest {
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d, d2;
    final ViewId v1;

    Altp2mScenariosTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = release.altp2mGuest(emu, 1, 1024);
        d2 = emu.createGuest(1, 1024);
        emu.altp2mSetDomainState(d, true);
        v1 = emu.altp2mCreateView(d, MemAccess.RWX);
    }

    /** g shared between d and d2. */
    private void share(long gfn) {
        SharingHandle a = emu.memshrNominateGfn(d, g(gfn));
        SharingHandle b = emu.memshrNominateGfn(d2, g(gfn));
        emu.memshrShareGfns(d, g(gfn), a, d2, g(gfn), b);
    }

    // §8.10 — nominate_page step 5: a view holding g with another access refuses
    @Test void s10_customViewAccessBlocksNominate() {
        assertEquals(1, v1.value());
        emu.altp2mSetMemAccess(d, v1, g(0x50), MemAccess.RX);
        fails(Errno.EINVAL, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(0x50)));
        emu.altp2mSetMemAccess(d, v1, g(0x50), MemAccess.RWX);
        assertEquals(2, emu.memshrNominateGfn(d, g(0x50)).value());
    }

    // §8.11 — nominate_page step 5 (mfn differs) and change_gfn(~0) removing the remap
    @Test void s11_remapBlocksNominateUntilRemoved() {
        emu.altp2mChangeGfn(d, v1, g(0x60), g(0x61));
        fails(Errno.EINVAL, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(0x60)));
        emu.altp2mChangeGfn(d, v1, g(0x60), org.xenffm.api.Gfn.INVALID);
        assertEquals(2, emu.memshrNominateGfn(d, g(0x60)).value());
    }

    // §8.12 — §4.6 hazard: unshare under the altp2m lock → Xen BUG; the host is dead afterwards
    @Test void s12_viewSetMemAccessOnSharedGfnTheViewLacksCrashesXen() {
        share(0x70);
        HypervisorCrashedException x = assertThrows(HypervisorCrashedException.class,
                () -> emu.altp2mSetMemAccess(d, v1, g(0x70), MemAccess.RX));
        assertEquals("xc_altp2m_set_mem_access", x.operation());
        // mm-locks.h:_check_lock_level's BUG(): line 80 in 4.17.5, 68 in 4.20.4 (both observed)
        assertTrue(x.panic().contains("mm-locks.h:" + (release.version.atLeast(4, 19) ? 68 : 80)), x.panic());
        assertTrue(emu.crashed());
        assertThrows(HypervisorCrashedException.class, () -> emu.domainGetinfo(d));
        assertThrows(HypervisorCrashedException.class, emu::sharingUsedFrames);
        assertThrows(HypervisorCrashedException.class, () -> emu.guest(d).vcpu(0).read(g(1), 0, 1));
    }

    // §8.13 — altp2m_get_effective_entry uses a lazily-copied (ram_shared) view entry as is: no unshare
    @Test void s13_lazyCopyThenViewAccess() {
        share(0x80);
        emu.altp2mSwitchToView(d, v1);
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(0x80), 0, 1).outcome());
        Entry ve = emu.viewEntry(d, v1, g(0x80)).orElseThrow();
        assertEquals(P2mType.RAM_SHARED, ve.type());
        assertEquals(release.lazyCopyAccess(MemAccess.RWX, MemAccess.RWX), ve.access());
        emu.altp2mSetMemAccess(d, v1, g(0x80), MemAccess.RX);
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(d, g(0x80)).type());
        ve = emu.viewEntry(d, v1, g(0x80)).orElseThrow();
        assertEquals(P2mType.RAM_SHARED, ve.type());
        assertEquals(MemAccess.RX, ve.access());
        assertEquals(0, emu.memshrAudit());
    }

    // §8.14 — unshare propagates (new mfn, ram_rw, host default access) into the view, losing its access
    @Test void s14_unshareOverwritesViewAccess() {
        share(0x80);
        emu.altp2mSwitchToView(d, v1);
        emu.guest(d).vcpu(0).read(g(0x80), 0, 1);
        emu.altp2mSetMemAccess(d, v1, g(0x80), MemAccess.RX);
        emu.altp2mSwitchToView(d, ViewId.of(0));
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).write(g(0x80), 0, bytes(1)).outcome());
        Entry host = emu.hostEntry(d, g(0x80));
        Entry ve = emu.viewEntry(d, v1, g(0x80)).orElseThrow();
        assertEquals(P2mType.RAM_RW, ve.type());
        assertEquals(host.mfn(), ve.mfn());
        assertEquals(MemAccess.RWX, emu.altp2mGetMemAccess(d, v1, g(0x80)));
    }

    // §8.14 variant — a write from a vCPU in view 1 unshares first, so no MEM_ACCESS event and the write succeeds
    @Test void s14b_writeFromInsideTheViewIsNotAViolation() {
        share(0x80);
        emu.altp2mSwitchToView(d, v1);
        emu.guest(d).vcpu(0).read(g(0x80), 0, 1);
        emu.altp2mSetMemAccess(d, v1, g(0x80), MemAccess.RX);
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            GuestResult r = emu.guest(d).vcpu(0).write(g(0x80), 0, bytes(7));
            assertEquals(Outcome.COMPLETED, r.outcome());
            assertEquals(0, tc.take().size());
            assertEquals(7, emu.guest(d).peek(g(0x80))[0]);
        }
    }

    // §8.15 — host set_mem_access overwrites the access of views holding the gfn
    @Test void s15_hostAccessChangePropagates() {
        emu.altp2mSetMemAccess(d, v1, g(0x90), MemAccess.X);
        emu.monitorEnable(d);
        emu.setMemAccess(d, MemAccess.RW, g(0x90), 1);
        assertEquals(MemAccess.RW, emu.altp2mGetMemAccess(d, v1, g(0x90)));
    }

    // §8.16 — change_gfn on a shared gfn the view lacks → crash; with both entries in the view → 0, remapped to the shared frame
    @Test void s16_changeGfnOnSharedGfn() {
        share(0xa0);
        // first: both gfns already in the view → no unshare, old_gfn maps new_gfn's (shared) frame
        emu.altp2mSwitchToView(d, v1);
        emu.guest(d).vcpu(0).read(g(0xa0), 0, 1);
        emu.guest(d).vcpu(0).read(g(0xa1), 0, 1);
        emu.altp2mChangeGfn(d, v1, g(0xa1), g(0xa0));
        Entry ve = emu.viewEntry(d, v1, g(0xa1)).orElseThrow();
        assertEquals(emu.hostEntry(d, g(0xa0)).mfn(), ve.mfn());
        assertEquals(P2mType.RAM_SHARED, ve.type());
        // then: a view lacking the shared gfn → lock-order BUG
        share(0xb0);
        HypervisorCrashedException x = assertThrows(HypervisorCrashedException.class,
                () -> emu.altp2mChangeGfn(d, v1, g(0xb1), g(0xb0)));
        assertEquals("xc_altp2m_change_gfn", x.operation());
        assertThrows(HypervisorCrashedException.class, emu::version);
    }

    // vmx.c:ept_handle_violation — only a violation exits: a view entry remapped to a private frame is written in
    // hardware, so the host's shared entry for the same gfn stays shared (found by the safe layer's property test)
    @Test void writeThroughARemappedViewEntryDoesNotUnshareTheHost() {
        share(0xc0);
        emu.altp2mSwitchToView(d, v1);
        emu.guest(d).vcpu(0).read(g(0xc0), 0, 1);       // view holds the shared entry (lazy copy)
        emu.guest(d).vcpu(0).read(g(0xc1), 0, 1);       // and the private target
        emu.altp2mChangeGfn(d, v1, g(0xc0), g(0xc1));   // no unshare: both entries already in the view
        long used = emu.sharingUsedFrames();
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).write(g(0xc0), 0, bytes(7)).outcome());
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(d, g(0xc0)).type());
        assertEquals(2, emu.memshrDebugGfn(d, g(0xc0)));
        assertEquals(used, emu.sharingUsedFrames());
        // the write landed in gfn 0xc1's frame, which the host maps at 0xc1
        emu.altp2mSwitchToView(d, ViewId.of(0));
        assertEquals(7, emu.guest(d).vcpu(0).read(g(0xc1), 0, 1).data()[0]);
        assertEquals(0, emu.memshrAudit());
    }

    // §8.22 — do_altp2m_op dispatch order, create/destroy/switch rules
    @Test void s22_stateAndDestroyRules() {
        DomainId off = emu.createGuest(2, 64);
        var x = fails(Errno.EINVAL, "xc_altp2m_set_domain_state", () -> emu.altp2mSetDomainState(off, true));
        assertTrue(x.getMessage().contains("altp2m mode is disabled"), x.getMessage());
        fails(Errno.EOPNOTSUPP, "xc_altp2m_create_view", () -> emu.altp2mCreateView(off, MemAccess.RWX));
        DomainId e = release.altp2mGuest(emu, 2, 64);
        fails(Errno.EOPNOTSUPP, "xc_altp2m_create_view", () -> emu.altp2mCreateView(e, MemAccess.RWX));
        emu.altp2mSetDomainState(e, true);
        assertEquals(1, emu.altp2mCreateView(e, MemAccess.RWX).value());
        assertEquals(2, emu.altp2mCreateView(e, MemAccess.N).value());
        fails(Errno.EBUSY, "xc_altp2m_destroy_view", () -> emu.altp2mDestroyView(e, ViewId.of(0)));
        emu.altp2mSwitchToView(e, ViewId.of(1));
        fails(Errno.EBUSY, "xc_altp2m_destroy_view", () -> emu.altp2mDestroyView(e, ViewId.of(1)));
        emu.altp2mSwitchToView(e, ViewId.of(0));
        emu.altp2mDestroyView(e, ViewId.of(1));
        fails(Errno.EBUSY, "xc_altp2m_destroy_view", () -> emu.altp2mDestroyView(e, ViewId.of(1)));
        for (int i = 0; i < 8; i++) emu.altp2mCreateView(e, MemAccess.RWX);   // slots 1, 3..9
        fails(Errno.EINVAL, "xc_altp2m_create_view", () -> emu.altp2mCreateView(e, MemAccess.RWX));
    }

    // §8.23 — set_domain_state(0) flushes every view (p2m_flush_altp2m)
    @Test void s23_disablingFlushes() {
        ViewId v2 = emu.altp2mCreateView(d, MemAccess.RWX), v3 = emu.altp2mCreateView(d, MemAccess.RWX);
        emu.altp2mSetMemAccess(d, v2, g(5), MemAccess.R);
        emu.altp2mChangeGfn(d, v3, g(6), g(7));
        emu.altp2mSetDomainState(d, false);
        emu.altp2mSetDomainState(d, true);
        assertEquals(1, emu.altp2mCreateView(d, MemAccess.RWX).value());
        fails(Errno.ESRCH, "xc_altp2m_get_mem_access", () -> emu.altp2mGetMemAccess(d, ViewId.of(1), g(5)));
        fails(Errno.EINVAL, "xc_altp2m_get_mem_access", () -> emu.altp2mGetMemAccess(d, v2, g(5)));
        fails(Errno.EINVAL, "xc_altp2m_change_gfn", () -> emu.altp2mChangeGfn(d, v3, g(6), g(7)));
    }

    // §8.24 — view 0 = host in set_mem_access, altp2m slot 0 in change_gfn
    @Test void s24_viewZeroAsymmetry() {
        emu.altp2mSetMemAccess(d, ViewId.of(0), g(0x10), MemAccess.R);
        emu.monitorEnable(d);
        assertEquals(MemAccess.R, emu.getMemAccess(d, g(0x10)));
        Entry before = emu.hostEntry(d, g(0x11));
        emu.altp2mChangeGfn(d, ViewId.of(0), g(0x11), g(0x12));
        assertEquals(before, emu.hostEntry(d, g(0x11)));
        assertEquals(emu.hostEntry(d, g(0x12)).mfn(), emu.viewEntry(d, ViewId.of(0), g(0x11)).orElseThrow().mfn());
    }

    // scenario 13/14 again through a real guest read of the new contents via the remap (lazy copy + change_gfn)
    @Test void remapChangesWhatTheViewReads() {
        emu.guest(d).vcpu(0).write(g(0x21), 0, bytes(0x42));
        emu.altp2mChangeGfn(d, v1, g(0x20), g(0x21));
        emu.altp2mSwitchToView(d, v1);
        assertEquals(0x42, emu.guest(d).vcpu(0).read(g(0x20), 0, 1).await(Duration.ofSeconds(1)) == Outcome.COMPLETED
                ? emu.guest(d).vcpu(0).read(g(0x20), 0, 1).data()[0] : -1);
        emu.altp2mSwitchToView(d, ViewId.of(0));
        assertEquals(0, emu.guest(d).vcpu(0).read(g(0x20), 0, 1).data()[0]);
    }

    // the same lock-order hazard through set_suppress_ve on a view lacking a shared gfn (p2m_set_suppress_ve takes
    // the altp2m lock, then altp2m_get_effective_entry unshares)
    @Test void suppressVeOnSharedGfnTheViewLacksCrashesXen() {
        share(0xc0);
        assertThrows(HypervisorCrashedException.class, () -> emu.altp2mSetSuppressVe(d, v1, g(0xc0), false));
        assertTrue(emu.crashed());
        // on the host (view 0) there is no altp2m lock: no crash on a fresh host
        EmulatedHypervisor e2 = release.emulator();
        DomainId a = release.altp2mGuest(e2, 1, 64), b = e2.createGuest(1, 64);
        e2.altp2mSetDomainState(a, true);
        SharingHandle ha = e2.memshrNominateGfn(a, g(1));
        SharingHandle hb = e2.memshrNominateGfn(b, g(1));
        e2.memshrShareGfns(a, g(1), ha, b, g(1), hb);
        e2.altp2mSetSuppressVe(a, ViewId.of(0), g(1), false);
        assertFalse(e2.altp2mGetSuppressVe(a, ViewId.of(0), g(1)));
        assertEquals(P2mType.RAM_SHARED, e2.hostEntry(a, g(1)).type());
    }
}
