// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/** docs/xen-semantics.md §8 scenarios 1–9, 17–21, 31, 32: mem_sharing and fork, each against the Xen function. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class MemshrScenariosTest {
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d, d2;

    MemshrScenariosTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = emu.createGuest(1, 1024);
        d2 = emu.createGuest(1, 1024);
    }

    // §8.1 — mem_sharing.c:get_next_handle, nominate_page step 2
    @Test void s01_firstHandlesAreTwoThenThreeAndRenominateReturnsTheSame() {
        assertEquals(2, emu.memshrNominateGfn(d, g(0x10)).value());
        assertEquals(3, emu.memshrNominateGfn(d, g(0x11)).value());
        assertEquals(2, emu.memshrNominateGfn(d, g(0x10)).value());
    }

    // §8.2 — nominate_page step 1: no valid mfn → EINVAL, the handle counter does not move
    @Test void s02_nominateHoleIsEinvalAndConsumesNoHandle() {
        fails(Errno.EINVAL, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(5000)));
        assertEquals(2, emu.memshrNominateGfn(d, g(1)).value());
    }

    // §8.3 — page_make_sharable: an extra page reference (foreign map) → E2BIG
    @Test void s03_foreignMappingBlocksNomination() {
        try (ForeignMapping m = emu.foreignMemoryMap(d, false, List.of(g(7)))) {
            fails(Errno.E2BIG, "xc_memshr_nominate_gfn", () -> emu.memshrNominateGfn(d, g(7)));
        }
        assertEquals(2, emu.memshrNominateGfn(d, g(7)).value());
    }

    // §8.4 — share_pages + counters (§3.13), debug_gfn
    @Test void s04_basicShareAndCounters() {
        SharingHandle ha = emu.memshrNominateGfn(d, g(1));
        SharingHandle hb = emu.memshrNominateGfn(d2, g(2));
        emu.memshrShareGfns(d, g(1), ha, d2, g(2), hb);
        assertEquals(1, emu.sharingFreedPages());
        assertEquals(1, emu.sharingUsedFrames());
        assertEquals(1, emu.domainGetinfo(d).shrPages());
        assertEquals(1, emu.domainGetinfo(d2).shrPages());
        assertEquals(ha, emu.memshrNominateGfn(d2, g(2)));
        assertEquals(2, emu.memshrDebugGfn(d, g(1)));
        assertEquals(0, emu.memshrAudit());
    }

    // §8.5 — share_pages step 2: same mfn → 0 whatever the handles
    @Test void s05_shareIdenticalFramesSucceedsWithAnyHandles() {
        SharingHandle ha = emu.memshrNominateGfn(d, g(1));
        SharingHandle hb = emu.memshrNominateGfn(d2, g(2));
        emu.memshrShareGfns(d, g(1), ha, d2, g(2), hb);
        long freed = emu.sharingFreedPages();
        emu.memshrShareGfns(d, g(1), SharingHandle.of(999), d2, g(2), SharingHandle.of(12345));
        assertEquals(freed, emu.sharingFreedPages());
    }

    // §8.6 — mem_sharing_memop: the client is never auto-enabled; the source is
    @Test void s06_clientSharingDisabled() {
        SharingHandle ha = emu.memshrNominateGfn(d, g(1));
        SharingHandle hb = emu.memshrNominateGfn(d2, g(2));
        emu.memshrControl(d2, false);
        fails(Errno.EINVAL, "xc_memshr_share_gfns", () -> emu.memshrShareGfns(d, g(1), ha, d2, g(2), hb));
        // d2 as the source is auto-enabled and the share proceeds
        emu.memshrShareGfns(d2, g(2), hb, d, g(1), ha);
        assertEquals(2, emu.memshrDebugGfn(d, g(1)));
    }

    // §8.7 — __mem_sharing_unshare_page, not the last reference: private copy, freed −1
    @Test void s07_copyOnWriteNotLast() {
        DomainId d3 = emu.createGuest(1, 64);
        emu.guest(d).vcpu(0).write(g(1), 0, bytes(0xaa));   // contents to be shared
        SharingHandle h2 = emu.memshrNominateGfn(d2, g(2));
        SharingHandle h3 = emu.memshrNominateGfn(d3, g(3));
        SharingHandle src = emu.memshrNominateGfn(d, g(1));
        emu.memshrShareGfns(d, g(1), src, d2, g(2), h2);
        emu.memshrShareGfns(d, g(1), src, d3, g(3), h3);
        long sharedMfn = emu.hostEntry(d, g(1)).mfn();
        long freed = emu.sharingFreedPages(), used = emu.sharingUsedFrames();
        assertEquals(3, emu.memshrDebugGfn(d, g(1)));

        GuestResult r = emu.guest(d2).vcpu(0).write(g(2), 4, bytes(1, 2, 3));
        assertEquals(Outcome.COMPLETED, r.outcome());
        Entry e = emu.hostEntry(d2, g(2));
        assertEquals(P2mType.RAM_RW, e.type());
        assertNotEquals(sharedMfn, e.mfn());
        assertEquals(MemAccess.RWX, e.access());
        assertEquals(freed - 1, emu.sharingFreedPages());
        assertEquals(used, emu.sharingUsedFrames());
        assertEquals(2, emu.memshrDebugGfn(d, g(1)));
        // the copy carries the shared contents plus the write; the others still see the old contents
        byte[] mine = emu.guest(d2).peek(g(2));
        assertEquals((byte) 0xaa, mine[0]);
        assertEquals(3, mine[6]);
        assertEquals(0, emu.guest(d).peek(g(1))[6]);
        assertEquals(0, emu.memshrAudit());
    }

    // §8.8 — unshare, last reference: same mfn becomes private, used −1, handle dead (errno 10)
    @Test void s08_copyOnWriteLastReference() {
        SharingHandle h = emu.memshrNominateGfn(d, g(1));
        long mfn = emu.hostEntry(d, g(1)).mfn();
        long used = emu.sharingUsedFrames(), freed = emu.sharingFreedPages();
        emu.guest(d).vcpu(0).write(g(1), 0, bytes(9));
        Entry e = emu.hostEntry(d, g(1));
        assertEquals(mfn, e.mfn());
        assertEquals(P2mType.RAM_RW, e.type());
        assertEquals(used - 1, emu.sharingUsedFrames());
        assertEquals(freed, emu.sharingFreedPages());
        SharingHandle hb = emu.memshrNominateGfn(d2, g(2));
        var x = fails(Errno.ECHILD, "xc_memshr_share_gfns", () -> emu.memshrShareGfns(d, g(1), h, d2, g(2), hb));
        assertEquals(10, x.errnoValue());
    }

    // §8.9 — ENOMEM on unshare: no sharing ring → domain crashed; with a ring → MEM_SHARING request, retry on resume
    @Test void s09_enomemWithoutAndWithHelper() {
        EmulatedHypervisor small = release.emulator(HostConfig.vtx().withTotalPages(4096));
        DomainId a = small.createGuest(1, 64), b = small.createGuest(1, 64);
        SharingHandle ha = small.memshrNominateGfn(a, g(1));
        SharingHandle hb = small.memshrNominateGfn(b, g(1));
        small.memshrShareGfns(a, g(1), ha, b, g(1), hb);
        SharingHandle hc = small.memshrNominateGfn(a, g(2));
        SharingHandle hd = small.memshrNominateGfn(b, g(2));
        small.memshrShareGfns(a, g(2), hc, b, g(2), hd);
        // eat the host's memory but one page (a guest takes its RAM plus 8 special pages)
        small.createGuest(1, small.physinfo().freePages() - 8 - 1);
        assertEquals(Outcome.COMPLETED, small.guest(a).vcpu(0).write(g(1), 0, bytes(1)).outcome()); // takes the last page
        assertEquals(0, small.physinfo().freePages());
        assertEquals(Outcome.DOMAIN_CRASHED, small.guest(a).vcpu(0).write(g(2), 0, bytes(1)).outcome());
        assertTrue(small.domainGetinfo(a).shutdown());

        // with the helper ring: the vCPU pauses on a MEM_SHARING request, and retries after the helper frees memory
        int port = small.memshrRingEnable(b);
        assertTrue(port > 0);
        var page = small.sharingRingPage(b);
        GuestResult r = small.guest(b).vcpu(0).write(g(2), 0, bytes(2));
        assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome());
        var req = new TestConsumer.Req(page.asSlice(VmEventLayout.slot(0), VmEventLayout.SLOT_SIZE));
        assertEquals(VmEventLayout.REASON_MEM_SHARING, req.reason());
        assertEquals(2, req.gfn());
        assertEquals(12, req.u32(VmEventLayout.U_SHARING_P2MT));
        assertEquals(VmEventLayout.F_VCPU_PAUSED, req.flags() & VmEventLayout.F_VCPU_PAUSED);
        assertEquals(7, req.version());
        // DERIVED from p2m_get_gfn_type_access + hvm_hap_nested_page_fault: the failed P2M_UNSHARE lookup notifies
        // once (no sleep) and the fault handler once more, so two requests and a vm_event pause count of 2
        assertEquals(2, page.get(java.lang.foreign.ValueLayout.JAVA_INT, VmEventLayout.REQ_PROD));
        // the helper frees memory (destroys the crashed domain), answers both, and resumes the sharing ring
        small.domainDestroy(a);
        for (int i = 0; i < 2; i++) {
            var rsp = page.asSlice(VmEventLayout.slot(i), VmEventLayout.SLOT_SIZE);
            rsp.set(java.lang.foreign.ValueLayout.JAVA_INT, VmEventLayout.FLAGS, VmEventLayout.F_VCPU_PAUSED);
        }
        page.set(java.lang.foreign.ValueLayout.JAVA_INT, VmEventLayout.RSP_PROD, 1);
        small.memshrDomainResume(b);
        assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome(), "one response leaves one pause");
        page.set(java.lang.foreign.ValueLayout.JAVA_INT, VmEventLayout.RSP_PROD, 2);
        small.memshrDomainResume(b);
        assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
        assertEquals(P2mType.RAM_RW, small.hostEntry(b, g(2)).type());
    }

    // §8.17 — mem_sharing_fork: child must be controller-paused (EBUSY), vCPU counts equal (EINVAL), parent paused by Xen
    @Test void s17_forkNeedsPausedChild() {
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, false);
        assertFalse(emu.domainGetinfo(d).paused(), "Xen's own pause is not the toolstack's");
        assertEquals(Outcome.NOT_RUNNABLE, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome());
        emu.domainPause(d);
        emu.domainUnpause(d);
        assertEquals(Outcome.NOT_RUNNABLE, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome(), "still paused by Xen");
        emu.domainDestroy(c);
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome());

        DomainId c2 = emu.domainCreate(DomainConfig.forkChild(1));
        emu.domainUnpause(c2);
        fails(Errno.EBUSY, "xc_memshr_fork", () -> emu.memshrFork(d, c2, false, false));
        DomainId c3 = emu.domainCreate(DomainConfig.forkChild(2));
        fails(Errno.EINVAL, "xc_memshr_fork", () -> emu.memshrFork(d, c3, false, false));
    }

    // §8.18 — mem_sharing_fork_page: read → shared from the parent, write → private copy
    @Test void s18_forkLazyPopulationAndCounters() {
        emu.guest(d).vcpu(0).write(g(0x20), 0, bytes(0x5a));
        emu.guest(d).vcpu(0).write(g(0x21), 0, bytes(0x6b));
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, false);
        emu.domainUnpause(c);
        assertFalse(emu.hostEntry(c, g(0x20)).valid(), "no RAM copied at fork time");
        long used = emu.sharingUsedFrames(), freed = emu.sharingFreedPages();

        GuestResult r = emu.guest(c).vcpu(0).read(g(0x20), 0, 1);
        assertEquals(Outcome.COMPLETED, r.outcome());
        assertEquals(0x5a, r.data()[0]);
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(c, g(0x20)).type());
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(d, g(0x20)).type());
        assertEquals(used + 1, emu.sharingUsedFrames());
        assertEquals(freed + 1, emu.sharingFreedPages());

        emu.guest(c).vcpu(0).write(g(0x21), 1, bytes(0x7c));
        Entry ce = emu.hostEntry(c, g(0x21));
        assertEquals(P2mType.RAM_RW, ce.type());
        assertEquals(P2mType.RAM_RW, emu.hostEntry(d, g(0x21)).type());
        assertNotEquals(emu.hostEntry(d, g(0x21)).mfn(), ce.mfn());
        assertEquals(0x6b, emu.guest(c).peek(g(0x21))[0]);
        assertEquals(0, emu.guest(d).peek(g(0x21))[1]);

        // a gfn the parent lacks stays unpopulated; a foreign map of it is EINVAL
        assertEquals(Outcome.UNMAPPED, emu.guest(c).vcpu(0).read(g(5000), 0, 1).outcome());
        fails(Errno.EINVAL, "xenforeignmemory_map", () -> emu.foreignMemoryMap(c, false, List.of(g(5000))));
        assertEquals(0, emu.memshrAudit());
    }

    // §8.18, observed on 4.17.5 (integration s18): loading the parent's vCPU state into the fork populates the gfn its
    // CR3 names — hvm_load → vmx_load_vmcs_ctxt → paging_update_paging_modes → hap.c:hap_update_paging_modes:
    // get_gfn(cr3 >> PAGE_SHIFT) (P2M_ALLOC) → mem_sharing_fork_page (read: shared from the parent), paging on or off
    @Test void s18_forkPopulatesEachVcpusCr3Gfn() {
        setCr3(d, 0, 0x11, 0);   // the PVH puppet: paging off, CR3 0
        emu.guest(d).vcpu(0).write(g(0), 0, bytes(0x42));
        long used = emu.sharingUsedFrames(), freed = emu.sharingFreedPages();
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, false);
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(c, g(0)).type(), "gfn 0 read-shared by the fork itself");
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(d, g(0)).type());
        assertEquals(emu.hostEntry(d, g(0)).mfn(), emu.hostEntry(c, g(0)).mfn());
        assertEquals(2, emu.memshrDebugGfn(d, g(0)));
        assertEquals(used + 1, emu.sharingUsedFrames());
        assertEquals(freed + 1, emu.sharingFreedPages());
        assertEquals(1, emu.domainGetinfo(c).shrPages());
        assertFalse(emu.hostEntry(c, g(1)).valid(), "nothing else populated");
        assertEquals(0x42, emu.guest(c).peek(g(0))[0]);

        // a paging guest with 2 vCPUs: each vCPU's CR3 gfn (HW_CPU record per vCPU), not gfn 0
        DomainId p2 = emu.createGuest(2, 1024);
        setCr3(p2, 0, 0x80000011L, 0x345000);
        setCr3(p2, 1, 0x80000011L, 0x2a7000);
        DomainId c2 = emu.domainCreate(DomainConfig.forkChild(2));
        emu.memshrFork(p2, c2, false, false);
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(c2, g(0x345)).type());
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(c2, g(0x2a7)).type());
        assertFalse(emu.hostEntry(c2, g(0)).valid());
        assertEquals(2, emu.domainGetinfo(c2).shrPages());
        assertEquals(0, emu.memshrAudit());
    }

    // the same lookup through mem_sharing_fork_page's fallbacks: a CR3 gfn the parent cannot nominate (a foreign
    // mapping holds it: E2BIG) is copied privately; one the parent lacks stays a hole and the fork still succeeds;
    // fork_reset(state) runs copy_settings again and re-populates it after reset(memory) dropped a private copy
    @Test void s18_forkCr3GfnFallbacksAndReset() {
        setCr3(d, 0, 0x80000011L, 0x77000);
        emu.guest(d).vcpu(0).write(g(0x77), 0, bytes(0x5c));
        long used = emu.sharingUsedFrames(), freed = emu.sharingFreedPages();
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        try (ForeignMapping m = emu.foreignMemoryMap(d, false, List.of(g(0x77)))) {
            emu.memshrFork(d, c, false, false);
        }
        assertEquals(P2mType.RAM_RW, emu.hostEntry(c, g(0x77)).type(), "nominate failed → private copy");
        assertEquals(P2mType.RAM_RW, emu.hostEntry(d, g(0x77)).type());
        assertEquals(0x5c, emu.guest(c).peek(g(0x77))[0]);
        assertEquals(used, emu.sharingUsedFrames());
        assertEquals(freed, emu.sharingFreedPages());

        emu.memshrForkReset(c, true, true);   // memory drops the private copy, then state re-populates (shared now)
        assertEquals(P2mType.RAM_SHARED, emu.hostEntry(c, g(0x77)).type());
        assertEquals(used + 1, emu.sharingUsedFrames());

        DomainId p2 = emu.createGuest(1, 1024);
        setCr3(p2, 0, 0x80000011L, 5000L << 12);   // beyond the parent's RAM
        DomainId c2 = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(p2, c2, false, false);
        assertFalse(emu.hostEntry(c2, g(5000)).valid(), "no ancestor has it: mem_sharing_fork_page → ENOENT, ignored");
        assertEquals(0, emu.domainGetinfo(c2).shrPages());
    }

    private void setCr3(DomainId dom, int vcpu, long cr0, long cr3) {
        Registers r = emu.guest(dom).vcpu(vcpu).registers();
        r.cr0 = cr0;
        r.cr3 = cr3;
        emu.guest(dom).vcpu(vcpu).setRegisters(r);
    }

    // §8.19 — mem_sharing_fork_reset keeps a page pinned by an altp2m view (nominate validate-only altp2m check)
    // (altp2m on the fork: 4.17 sets the param after the fork; ≥ 4.19 creates the child with the mode — DERIVED:
    // the parent's param is 0, so hvm_copy_context_and_params leaves the child's alone)
    @Test void s19_forkResetKeepsViewPinnedPages() {
        DomainConfig child = DomainConfig.forkChild(1);
        DomainId c = emu.domainCreate(release.altp2mParamReadOnly()
                ? child.withAltp2mMode(HvmParam.ALTP2M_EXTERNAL) : child);
        emu.memshrFork(d, c, false, false);
        emu.domainUnpause(c);
        if (!release.altp2mParamReadOnly()) emu.hvmParamSet(c, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        emu.altp2mSetDomainState(c, true);
        ViewId v1 = emu.altp2mCreateView(c, MemAccess.RWX);
        emu.guest(c).vcpu(0).write(g(0x30), 0, bytes(1));   // private h
        emu.guest(c).vcpu(0).write(g(0x31), 0, bytes(2));   // private, not pinned
        emu.altp2mSetMemAccess(c, v1, g(0x30), MemAccess.R);
        emu.memshrForkReset(c, false, true);
        assertTrue(emu.hostEntry(c, g(0x30)).valid(), "kept: view 1 holds it with another access");
        assertFalse(emu.hostEntry(c, g(0x31)).valid(), "dropped: repopulated lazily on next access");
        assertEquals(0, emu.guest(c).vcpu(0).read(g(0x31), 0, 1).data()[0]);
    }

    // §8.20 — 4.17: the child inherits HVM_PARAM_ALTP2M, but altp2m is not active and there are no views;
    // ≥ 4.19: copying the read-only param fails → EEXIST, the fork is rolled back and the parent keeps running
    @Test void s20_forkOfAltp2mParent() {
        DomainId p = release.altp2mGuest(emu, 1, 256);
        emu.altp2mSetDomainState(p, true);
        emu.altp2mCreateView(p, MemAccess.RX);
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        if (release.forkOfAltp2mParentFails()) {
            fails(Errno.EEXIST, "xc_memshr_fork", () -> emu.memshrFork(p, c, false, false));
            assertEquals(Outcome.COMPLETED, emu.guest(p).vcpu(0).read(g(1), 0, 1).outcome(), "parent running");
            assertEquals(0, emu.hvmParamGet(c, HvmParam.ALTP2M));
            fails(Errno.ENOSYS, "xc_memshr_fork_reset", () -> emu.memshrForkReset(c, true, true));
            return;
        }
        emu.memshrFork(p, c, false, false);
        assertEquals(HvmParam.ALTP2M_EXTERNAL, emu.hvmParamGet(c, HvmParam.ALTP2M));
        assertFalse(emu.altp2mGetDomainState(c));
        fails(Errno.EOPNOTSUPP, "xc_altp2m_create_view", () -> emu.altp2mCreateView(c, MemAccess.RWX));
    }

    // §8.21 — vm_event_resume: RESET_FORK_STATE|MEMORY processed first on a fork; ignored on a non-fork
    @Test void s21_forkResetViaResponse() {
        emu.guest(d).vcpu(0).write(g(0x40), 0, bytes(0x11));
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(d, c, false, false);
        emu.domainUnpause(c);
        try (TestConsumer tc = new TestConsumer(emu, c)) {
            emu.monitorCpuid(c, true);
            emu.guest(c).vcpu(0).write(g(0x40), 0, bytes(0x22));
            assertEquals(0x22, emu.guest(c).peek(g(0x40))[0]);
            var regs = emu.guest(c).vcpu(0).registers();
            regs.rbx = 0x1234;
            emu.guest(c).vcpu(0).setRegisters(regs);
            GuestResult r = emu.guest(c).vcpu(0).cpuid(1, 0);
            assertEquals(Outcome.PAUSED_ON_EVENT, r.outcome());
            var req = tc.takeOne();
            assertEquals(VmEventLayout.REASON_CPUID, req.reason());
            tc.respond(req, VmEventLayout.F_RESET_FORK_STATE | VmEventLayout.F_RESET_FORK_MEMORY);
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
            assertFalse(emu.hostEntry(c, g(0x40)).valid(), "private page dropped");
            assertEquals(0x11, emu.guest(c).vcpu(0).read(g(0x40), 0, 1).data()[0]);
            assertEquals(0, emu.guest(c).vcpu(0).registers().rbx, "vCPU state copied again from the parent");
        }
        // on a non-fork the same flags are ignored
        emu.domainDestroy(c);
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorCpuid(d, true);
            GuestResult r = emu.guest(d).vcpu(0).cpuid(1, 0);
            tc.respond(tc.takeOne(), VmEventLayout.F_RESET_FORK_STATE | VmEventLayout.F_RESET_FORK_MEMORY);
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
            assertEquals(0x11, emu.guest(d).peek(g(0x40))[0]);
        }
    }

    // §8.31 — relinquish_shared_pages on destroy; audit debug vs release
    @Test void s31_relinquishOnDestroy() {
        SharingHandle ha = emu.memshrNominateGfn(d, g(1));
        SharingHandle hb = emu.memshrNominateGfn(d2, g(1));
        emu.memshrShareGfns(d, g(1), ha, d2, g(1), hb);
        assertEquals(1, emu.sharingFreedPages());
        assertEquals(1, emu.sharingUsedFrames());
        emu.domainDestroy(d2);
        assertEquals(1, emu.memshrDebugGfn(d, g(1)));
        assertEquals(0, emu.sharingFreedPages());
        assertEquals(1, emu.sharingUsedFrames());
        assertEquals(0, emu.memshrAudit());
        fails(Errno.ESRCH, "xc_domain_getinfolist", () -> emu.domainGetinfo(d2));
        EmulatedHypervisor releaseBuild = release.emulator(HostConfig.vtx().withDebug(false));
        fails(Errno.EOPNOTSUPP, "xc_memshr_audit", releaseBuild::memshrAudit);
    }

    // §8.32 — CONFIG_MEM_SHARING off: every memop and the domctl ENOSYS, stats 0
    @Test void s32_noSharingBuild() {
        EmulatedHypervisor deb = release.emulator(HostConfig.debian());
        DomainId a = deb.createGuest(1, 64), b = deb.createGuest(1, 64);
        DomainId c = deb.domainCreate(DomainConfig.forkChild(1));
        fails(Errno.ENOSYS, "xc_memshr_control", () -> deb.memshrControl(a, true));
        fails(Errno.ENOSYS, "xc_memshr_nominate_gfn", () -> deb.memshrNominateGfn(a, g(1)));
        fails(Errno.ENOSYS, "xc_memshr_share_gfns",
                () -> deb.memshrShareGfns(a, g(1), SharingHandle.of(2), b, g(1), SharingHandle.of(3)));
        fails(Errno.ENOSYS, "xc_memshr_add_to_physmap",
                () -> deb.memshrAddToPhysmap(a, g(1), SharingHandle.of(2), b, g(100)));
        fails(Errno.ENOSYS, "xc_memshr_range_share", () -> deb.memshrRangeShare(a, b, g(0), g(1)));
        fails(Errno.ENOSYS, "xc_memshr_debug_gfn", () -> deb.memshrDebugGfn(a, g(1)));
        fails(Errno.ENOSYS, "xc_memshr_audit", deb::memshrAudit);
        fails(Errno.ENOSYS, "xc_memshr_fork", () -> deb.memshrFork(a, c, false, false));
        fails(Errno.ENOSYS, "xc_memshr_fork_reset", () -> deb.memshrForkReset(c, true, true));
        assertEquals(0, deb.sharingFreedPages());
        assertEquals(0, deb.sharingUsedFrames());
    }
}
