// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import static org.xenffm.it.GuestDriver.Mode.REPORT;
import static org.xenffm.it.GuestDriver.Mode.WRITE;
import static org.xenffm.it.Scenarios.RUN;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xenffm.api.AddressSpace;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmContext;
import org.xenffm.api.PagingMode;
import org.xenffm.api.TranslationException;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.X86Registers;
import org.xenffm.it.Scenarios.Altp2m;
import org.xenffm.it.Scenarios.Pages;
import org.xenffm.vmi.GuestMemory;

/**
 * Issue 17's VMI primitives on the puppet (issue 17 item 7, issue 15 item 5): registers read and written through the
 * HVM context calls while the guest runs with paging on in tables dom0 wrote, a guest-virtual read through
 * {@link GuestMemory}'s walk against the guest's own, a page populated beyond max_gpfn, and what dropping a page does
 * to an altp2m view that remapped it. Both backends run the same steps; the puppet's {@link GuestDriver.Mode#PAGED}
 * mode and {@link GuestDriver#SPIN_STUB} are what the guest executes.
 */
final class VmiScenarios {
    private VmiScenarios() {}

    /** 32-bit paging (CR4.PSE): the page directory, one page table, the data page and the stub's page (data gfns). */
    static final long PD = 0x220, PT = 0x221, DATA = 0x230, CODE = 0x231;
    /** PDE 0x100 covers 0x40000000..0x403fffff: PTE 0 the data page, PTE 1 the stub. */
    static final long VA_DATA = 0x40000010L, VA_CODE = 0x40001000L, VA_UNMAPPED = 0x80000000L;
    static final long CR4_PSE = PagingMode.CR4_PSE;
    static final int MARKER = 0x7e57da7a, GPR = 0x5eed1234;
    /** s38: remapped gfn A (and B), targets T and C; M lies between the targets. */
    static final Gfn A = Gfn.of(0x310), B = Gfn.of(0x311), T = Gfn.of(0x320), M = Gfn.of(0x322), C = Gfn.of(0x324);

    static List<Scenario> all() {
        List<Scenario> l = new ArrayList<>();
        l.add(new Scenario("s36-registers-and-virtual-memory", "vmi", "paging on in tables dom0 wrote: RIP/CR3 read back, a virtual read equals the guest's, a GPR written by dom0 seen by the guest", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            VcpuId v0 = VcpuId.of(0);
            try (GuestMemory mem = new GuestMemory(c.hv, d)) {
                // PDE 0: a 4 MiB page identity-mapping the puppet's code, mailbox and these tables; PDE 0x100: PT
                mem.writePhysical(PD << 12, le32(0x83));
                mem.writePhysical((PD << 12) + 4 * 0x100, le32((PT << 12) | 3));
                mem.writePhysical(PT << 12, le32((DATA << 12) | 3));
                mem.writePhysical((PT << 12) + 4, le32((CODE << 12) | 3));
                mem.writePhysical((DATA << 12) + (VA_DATA & 0xfff), le32(MARKER));
                AddressSpace as = AddressSpace.of(0x80000011L, PD << 12, CR4_PSE, 0);
                c.rec.expectValue("dom0 walk of VA_DATA: gpa", hex(0x230010), hex(mem.translate(as, VA_DATA).gpa()));
                c.rec.expectValue("dom0 walk of VA_DATA: levels", 2, mem.translate(as, VA_DATA).walk().size());
                c.rec.expectValue("dom0 walk of the code (4 MiB page): gpa", hex(0x100000), hex(mem.translate(as, 0x100000).gpa()));
                try {
                    mem.translate(as, VA_UNMAPPED);
                    c.rec.observe("dom0 walk of an unmapped VA", "translated");
                } catch (TranslationException e) {
                    c.rec.expectValue("dom0 walk of an unmapped VA", "level 2 table 0x220 NOT_PRESENT",
                            "level " + e.level() + " table " + hex(e.tableGfn().value()) + " " + e.reason());
                }
                mem.writeVirtual(as, VA_CODE, GuestDriver.SPIN_STUB); // the code, written through the walk
                c.rec.expectValue("stub at the code gfn", true,
                        Arrays.equals(GuestDriver.SPIN_STUB, mem.readPhysical(CODE << 12, GuestDriver.SPIN_STUB.length)));
            }
            g.programPaged(CR4_PSE, PD << 12, VA_DATA, VA_CODE);
            c.rec.expectValue("guest spins at the code (paging on)", true, g.runUntilSpinning(RUN));
            X86Registers r = c.rec.expect("getcontext_partial(vcpu 0)", "ok", () -> c.hv.domainHvmGetcontextPartial(d, v0)).get();
            // where in its two-instruction spin the vCPU stopped depends on which VM exit the pause met
            c.rec.expectValue("rip: page", hex(VA_CODE), hex(r.rip() & ~0xfffL));
            c.rec.expectValue("rip: in the spin loop", true,
                    r.rip() >= VA_CODE + GuestDriver.SPIN_AT && r.rip() < VA_CODE + GuestDriver.SPIN_END);
            c.rec.expectValue("cr3", hex(PD << 12), hex(r.cr3()));
            c.rec.expectValue("cr0 cr4 efer", "0x80000011 0x10 0x0", hex(r.cr0()) + " " + hex(r.cr4()) + " " + hex(r.msrEfer()));
            c.rec.expectValue("paging mode", "LEGACY", PagingMode.of(r).name());
            c.rec.expectValue("guest read at VA_DATA", hex(MARKER), hex(g.reportedVirtual()));
            try (GuestMemory mem = new GuestMemory(c.hv, d)) {
                AddressSpace current = mem.addressSpace(v0);       // the vCPU's own CR3, through getcontext_partial
                c.rec.expectValue("dom0 virtual read at VA_DATA (vCPU's CR3)", hex(g.reportedVirtual()),
                        hex(le32(mem.readVirtual(current, VA_DATA, 4))));
            }
            HvmContext ctx = c.rec.expect("getcontext", "ok", () -> c.hv.domainHvmGetcontext(d)).get();
            X86Registers moved = ctx.cpu(v0).with(X86Registers.Reg.RIP, VA_CODE + GuestDriver.RESUME_AT)
                    .with(X86Registers.Gpr.RBX, GPR);
            c.rec.expectRun("setcontext(rip past the spin, rbx)", "ok", () -> c.hv.domainHvmSetcontext(d, ctx.withCpu(v0, moved)));
            X86Registers back = c.hv.domainHvmGetcontextPartial(d, v0);
            c.rec.expectValue("rip rbx read back", hex(VA_CODE + GuestDriver.RESUME_AT) + " " + hex(GPR),
                    hex(back.rip()) + " " + hex(back.rbx()));
            g.programPaged(CR4_PSE, PD << 12, VA_DATA, 0);
            c.rec.expectValue("guest loops on", true, g.run(1, RUN) >= 1);
            c.rec.expectValue("guest saw rbx", hex(GPR), hex(g.reportedRegister()));
        }));
        l.add(new Scenario("s37-populate-beyond-max-gpfn", "vmi", "setmaxmem + populate at max_gpfn + 1 (DRAKVUF's new page): the guest writes and reads it; dropped, it is a hole again", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            long max = c.hv.domainMaximumGpfn(d);
            var before = c.hv.domainGetinfo(d);
            Gfn n = Gfn.of(max + 1);
            c.rec.expectValue("max_gpfn + 1 lies below 4 GiB (the 32-bit puppet reaches it)", true, n.value() < 0x100000);
            c.rec.expectRun("setmaxmem(max_pages + 1 page)", "ok", () -> c.hv.domainSetmaxmem(d, before.maxPages() * 4 + 4));
            c.rec.expectValue("max_pages delta", 1L, c.hv.domainGetinfo(d).maxPages() - before.maxPages());
            c.rec.expectRun("populate_physmap_exact(max_gpfn + 1)", "ok", () -> c.hv.domainPopulatePhysmapExact(d, List.of(n)));
            c.rec.expectValue("tot_pages delta", 1L, c.hv.domainGetinfo(d).totPages() - before.totPages());
            c.rec.expectValue("max_gpfn delta", 1L, c.hv.domainMaximumGpfn(d) - max);
            c.rec.expectValue("dom0 reads the new page", "0x0", Pages.hex(Pages.read(c.hv, d, n)));
            g.program(WRITE, n.value() << 12, (n.value() + 1) << 12);
            c.rec.expectValue("guest loops (write the new page)", true, g.run(1, RUN) >= 1);
            c.rec.expectValue("dom0 reads the guest's write", "0x3", Pages.hex(Pages.read(c.hv, d, n)));
            Pages.write(c.hv, d, n, 0x600d);
            c.rec.expectValue("guest reads dom0's write", "0x600d", Pages.hex(guestReads(g, n)));
            c.rec.expectRun("decrease_reservation_exact(it)", "ok", () -> c.hv.domainDecreaseReservationExact(d, List.of(n)));
            c.rec.expectValue("tot_pages delta after the drop", 0L, c.hv.domainGetinfo(d).totPages() - before.totPages());
            c.rec.expectValue("max_gpfn delta after the drop (never shrinks)", 1L, c.hv.domainMaximumGpfn(d) - max);
            c.rec.expectRun("decrease_reservation_exact(it) again", "EINVAL", () -> c.hv.domainDecreaseReservationExact(d, List.of(n)));
            c.rec.expect("dom0 maps the dropped gfn", "EINVAL", () -> Pages.read(c.hv, d, n));
            c.rec.expectValue("guest reads the hole", "0xffffffff", Pages.hex(guestReads(g, n)));
        }));
        l.add(new Scenario("s38-dropped-page-and-views", "vmi", "decrease_reservation of a remapped gfn empties that view entry only; of a gfn inside the remapped range resets the view", c -> {
            GuestDriver g = c.guest(1);
            DomainId d = g.domain();
            Pages.write(c.hv, d, A, 0xa0);
            Pages.write(c.hv, d, B, 0xb0);
            Pages.write(c.hv, d, T, 0x70);
            Pages.write(c.hv, d, M, 0x3d);
            Pages.write(c.hv, d, C, 0xc0);
            ViewId v = Altp2m.on(c, d);
            c.rec.expectRun("change_gfn(A -> T)", "ok", () -> c.hv.altp2mChangeGfn(d, v, A, T));
            c.rec.expectRun("change_gfn(B -> C)", "ok", () -> c.hv.altp2mChangeGfn(d, v, B, C)); // remapped range [T, C]
            c.rec.expectRun("switch_to_view(v)", "ok", () -> c.hv.altp2mSwitchToView(d, v));
            c.rec.expectValue("guest reads A, B in v", "0x70 0xc0", Pages.hex(guestReads(g, A)) + " " + Pages.hex(guestReads(g, B)));
            // a single remapped gfn: A itself is outside [T, C], so only v's entry for A goes
            c.rec.expectRun("decrease_reservation(A)", "ok", () -> c.hv.domainDecreaseReservationExact(d, List.of(A)));
            c.rec.expectValue("guest reads A, B in v after A dropped", "0xffffffff 0xc0",
                    Pages.hex(guestReads(g, A)) + " " + Pages.hex(guestReads(g, B)));
            c.rec.expectRun("populate_physmap(A)", "ok", () -> c.hv.domainPopulatePhysmapExact(d, List.of(A)));
            // not T's page: the view copies the host's new entry. Its contents are A's old ones: the page A gave back
            // was not scrubbed (page_alloc.c:free_domheap_pages, live domain) and headed the free list
            c.rec.expectValue("guest reads A in v after A repopulated (the remap is gone)", "0xa0", Pages.hex(guestReads(g, A)));
            // a range: M is no remap's gfn or target, but lies in [T, C]: the view is reset
            c.rec.expectRun("decrease_reservation(M)", "ok", () -> c.hv.domainDecreaseReservationExact(d, List.of(M)));
            c.rec.expectValue("guest reads B, T in v after M dropped", "0xb0 0x70",
                    Pages.hex(guestReads(g, B)) + " " + Pages.hex(guestReads(g, T)));
            c.rec.expectValue("dom0 reads B, C (host)", "0xb0 0xc0",
                    Pages.hex(Pages.read(c.hv, d, B)) + " " + Pages.hex(Pages.read(c.hv, d, C)));
            Altp2m.off(c, d);
        }));
        return l;
    }

    /** The first dword of {@code gfn} as the guest's vCPU reads it (in the view it runs in). */
    static int guestReads(GuestDriver g, Gfn gfn) {
        g.program(REPORT, gfn.value() << 12, (gfn.value() + 1) << 12);
        if (g.run(1, RUN) < 1) throw new IllegalStateException("the guest did not complete a loop reading " + gfn);
        return g.reported();
    }

    static byte[] le32(long v) { return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array(); }

    static int le32(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(); }

    static String hex(long v) { return "0x" + Long.toHexString(v); }
}
