// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.GrantRef;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;

import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/** mem_sharing rules of docs/xen-semantics.md §3 beyond the §8 scenarios. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class MemshrRulesTest {
    final EmulatedHypervisor emu;
    final DomainId d, d2;

    MemshrRulesTest(Release release) {
        emu = release.emulator();
        d = emu.createGuest(1, 256);
        d2 = emu.createGuest(1, 256);
    }

    // mem_sharing_control: EOPNOTSUPP non-HVM, ENODEV no HAP, EXDEV with an IOMMU
    @Test void controlGates() {
        DomainId pv = emu.createGuest(GuestSpec.hvm(1, 16).pv());
        DomainId noHap = emu.createGuest(GuestSpec.hvm(1, 16).withoutHap());
        DomainId iommu = emu.createGuest(GuestSpec.hvm(1, 16).withIommu());
        fails(Errno.EOPNOTSUPP, "xc_memshr_control", () -> emu.memshrControl(pv, true));
        fails(Errno.ENODEV, "xc_memshr_control", () -> emu.memshrControl(noHap, true));
        fails(Errno.EXDEV, "xc_memshr_control", () -> emu.memshrControl(iommu, true));
        fails(Errno.EXDEV, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(iommu, g(1)));
        emu.memshrControl(d, false);   // disable never fails
    }

    // mem_sharing_memop step 3: rcu_lock_live_remote_domain_by_id
    @Test void memopDomainLookup() {
        fails(Errno.ESRCH, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(DomainId.of(77), g(1)));
        fails(Errno.EPERM, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(DomainId.DOM0, g(1)));
        fails(Errno.EPERM, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(DomainId.SELF, g(1)));
        // a parent destroyed while a fork holds it stays as a dying domain
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, false);
        emu.domainDestroy(d);
        assertTrue(emu.domainGetinfo(d).dying());
        fails(Errno.EINVAL, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(1)));
        emu.domainDestroy(c);
        fails(Errno.ESRCH, "xc_domain_getinfolist", () -> emu.domainGetinfo(d));
    }

    // share_pages step 3: pages grabbed in mfn order, the first non-shared one names the error
    @Test void shareErrorFollowsMfnOrder() {
        emu.memshrControl(d, true);
        emu.memshrControl(d2, true);   // the client is never auto-enabled
        long smfn = emu.hostEntry(d, g(1)).mfn(), cmfn = emu.hostEntry(d2, g(1)).mfn();
        assertTrue(smfn < cmfn, "d was built first");
        SharingHandle x = SharingHandle.of(2), y = SharingHandle.of(3);
        var e1 = fails(Errno.ECHILD, "xc_memshr_share_gfns", () -> emu.memshrShareGfns(d, g(1), x, d2, g(1), y));
        assertEquals(10, e1.errnoValue());
        var e2 = fails(Errno.EBADF, "xc_memshr_share_gfns", () -> emu.memshrShareGfns(d2, g(1), x, d, g(1), y));
        assertEquals(9, e2.errnoValue());
        // a shared client with an unshared source: still the source's code
        SharingHandle hc = emu.memshrNominateGfn(d2, g(1));
        fails(Errno.ECHILD, "xc_memshr_share_gfns", () -> emu.memshrShareGfns(d, g(1), x, d2, g(1), hc));
        // step 4: handle mismatch after both are shared
        SharingHandle hs = emu.memshrNominateGfn(d, g(1));
        fails(Errno.ECHILD, "xc_memshr_share_gfns",
                () -> emu.memshrShareGfns(d, g(1), SharingHandle.of(99), d2, g(1), hc));
        fails(Errno.EBADF, "xc_memshr_share_gfns",
                () -> emu.memshrShareGfns(d, g(1), hs, d2, g(1), SharingHandle.of(99)));
        // two holes have the same (invalid) mfn: 0 by step 2
        emu.memshrShareGfns(d, g(5000), x, d2, g(5000), y);
    }

    // add_to_physmap (§3.5): -10 for the source, -9 for a non-hole client; counters and client default access
    @Test void addToPhysmap() {
        emu.memshrControl(d2, true);
        SharingHandle h = emu.memshrNominateGfn(d, g(1));
        fails(Errno.ECHILD, "xc_memshr_add_to_physmap", () -> emu.memshrAddToPhysmap(d, g(2), h, d2, g(300)));
        fails(Errno.ECHILD, "xc_memshr_add_to_physmap",
                () -> emu.memshrAddToPhysmap(d, g(1), SharingHandle.of(9), d2, g(300)));
        fails(Errno.EBADF, "xc_memshr_add_to_physmap", () -> emu.memshrAddToPhysmap(d, g(1), h, d2, g(3)));
        long freed = emu.sharingFreedPages();
        emu.memshrAddToPhysmap(d, g(1), h, d2, g(300));
        assertEquals(freed + 1, emu.sharingFreedPages());
        assertEquals(1, emu.domainGetinfo(d2).shrPages());
        Entry e = emu.hostEntry(d2, g(300));
        assertEquals(P2mType.RAM_SHARED, e.type());
        assertEquals(emu.hostEntry(d, g(1)).mfn(), e.mfn());
        assertEquals(2, emu.memshrDebugGfn(d2, g(300)));
    }

    // range_share (§3.6): both paused, bounds, last-gfn result
    @Test void rangeShare() {
        emu.memshrControl(d2, true);
        fails(Errno.EINVAL, "xc_memshr_range_share", () -> emu.memshrRangeShare(d, d2, g(0), g(9)));
        emu.domainPause(d);
        emu.domainPause(d2);
        fails(Errno.EINVAL, "xc_memshr_range_share", () -> emu.memshrRangeShare(d, d2, g(0), g(0x100000)));
        emu.memshrRangeShare(d, d2, g(0), g(9));
        assertEquals(10, emu.sharingUsedFrames());
        assertEquals(10, emu.sharingFreedPages());
        // last gfn E2BIG (mapped by a tool) is returned although the others were shared
        try (ForeignMapping m = emu.foreignMemoryMap(d2, false, List.of(g(19)))) {
            fails(Errno.E2BIG, "xc_memshr_range_share", () -> emu.memshrRangeShare(d, d2, g(10), g(19)));
        }
        assertEquals(2, emu.memshrDebugGfn(d, g(18)));
        assertEquals(1, emu.memshrDebugGfn(d, g(19)), "the source page stays nominated, not rolled back");
        // a middle failure is lost, a last EINVAL is 0
        emu.mapSpecialPage(d, g(25));
        emu.memshrRangeShare(d, d2, g(20), g(25));
        assertEquals(2, emu.memshrDebugGfn(d, g(24)));
        assertEquals(0, emu.memshrAudit());
    }

    // nominate_page step 8: the host entry becomes ram_shared with the host default access (custom access lost)
    @Test void nominateResetsHostAccess() {
        emu.monitorEnable(d);
        emu.setMemAccess(d, MemAccess.RX, g(4), 1);
        long tot = emu.domainGetinfo(d).totPages();
        emu.memshrNominateGfn(d, g(4));
        assertEquals(MemAccess.RWX, emu.getMemAccess(d, g(4)));
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(d, g(4)).type());
        assertEquals(tot - 1, emu.domainGetinfo(d).totPages(), "the page now belongs to dom_cow");
    }

    // nominate_page step 4: Xen-heap/special pages never share
    @Test void specialPageIsNotSharable() {
        emu.mapSpecialPage(d, g(0x500));
        fails(Errno.EINVAL, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(0x500)));
    }

    // gref variants translate through the grant table
    @Test void grefVariants() {
        emu.grantAccess(d, GrantRef.of(5), g(7));
        emu.grantAccess(d2, GrantRef.of(6), g(8));
        SharingHandle a = emu.memshrNominateGref(d, GrantRef.of(5));
        SharingHandle b = emu.memshrNominateGref(d2, GrantRef.of(6));
        emu.memshrShareGrefs(d, GrantRef.of(5), a, d2, GrantRef.of(6), b);
        assertEquals(2, emu.memshrDebugGref(d, GrantRef.of(5)));
        // mem_sharing_gref_to_gfn: an entry never granted → ENXIO, a ref beyond the 1-frame v1 table → ENOENT
        fails(Errno.ENXIO, "xc_memshr_nominate_gref", () -> emu.memshrNominateGref(d, GrantRef.of(99)));
        fails(Errno.ENOENT, "xc_memshr_nominate_gref", () -> emu.memshrNominateGref(d, GrantRef.of(512)));
        fails(Errno.ENXIO, "xc_memshr_debug_gref", () -> emu.memshrDebugGref(d, GrantRef.of(511)));
    }

    // fork_reset memop checks; fork copies max_pages and block_interrupts
    @Test void forkResetChecks() {
        fails(Errno.EINVAL, "xc_memshr_fork_reset", () -> emu.memshrForkReset(d, false, false));
        fails(Errno.ENOSYS, "xc_memshr_fork_reset", () -> emu.memshrForkReset(d, true, true));
        DomainId iommuChild = emu.createGuest(GuestSpec.hvm(1, 0).withIommu().pausedAtStart());
        fails(Errno.EXDEV, "xc_memshr_fork", () -> emu.memshrFork(d, iommuChild, true, false));
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, true);
        assertEquals(emu.domainGetinfo(d).maxPages(), emu.domainGetinfo(c).maxPages());
    }

    // foreign mappings: a writable map unshares (P2M_UNSHARE) and its writes are the guest's memory
    @Test void foreignMappings() {
        SharingHandle a = emu.memshrNominateGfn(d, g(1));
        SharingHandle b = emu.memshrNominateGfn(d2, g(1));
        emu.memshrShareGfns(d, g(1), a, d2, g(1), b);
        try (ForeignMapping ro = emu.foreignMemoryMap(d, false, List.of(g(1)))) {
            assertEquals(P2mType.RAM_SHARED, emu.hostEntry(d, g(1)).type(), "a read-only map keeps sharing");
            assertThrows(RuntimeException.class,
                    () -> ro.memory().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        }
        try (ForeignMapping rw = emu.foreignMemoryMap(d, true, List.of(g(1), g(2)))) {
            assertEquals(P2mType.RAM_RW, emu.hostEntry(d, g(1)).type(), "a writable map unshares");
            rw.memory().set(ValueLayout.JAVA_BYTE, 4096 + 3, (byte) 0x77);
            assertEquals(0x77, emu.guest(d).peek(g(2))[3]);
            assertEquals(0x77, emu.guest(d).vcpu(0).read(g(2), 3, 1).data()[0]);
            emu.guest(d).vcpu(0).write(g(2), 4, bytes(0x66));
            assertEquals(0x66, rw.memory().get(ValueLayout.JAVA_BYTE, 4096 + 4));
        }
        assertEquals(0x77, emu.guest(d).peek(g(2))[3], "contents survive the unmap");
        assertEquals(4, emu.memshrNominateGfn(d, g(2)).value(), "no extra reference after unmap: nominable, next handle");
    }

    // mem_sharing_fork_reset: a private page a tool has mapped fails validation (E2BIG) and is kept
    @Test void forkResetKeepsToolMappedPages() {
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, false);
        emu.domainUnpause(c);
        emu.guest(c).vcpu(0).write(g(1), 0, bytes(1));
        emu.guest(c).vcpu(0).write(g(2), 0, bytes(2));
        emu.guest(c).vcpu(0).read(g(3), 0, 1);   // shared from the parent: not owned by the fork
        try (ForeignMapping m = emu.foreignMemoryMap(c, false, List.of(g(1)))) {
            emu.memshrForkReset(c, false, true);
            assertTrue(emu.hostEntry(c, g(1)).valid(), "mapped by a tool: kept");
        }
        assertFalse(emu.hostEntry(c, g(2)).valid(), "private, unmapped: dropped");
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(c, g(3)).type(), "shared entries stay");
        assertEquals(0, emu.memshrAudit());
    }
}
