// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.fails;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmContext;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;
import org.xenffm.api.X86Registers.ContextReg;
import org.xenffm.api.X86Registers.Reg;
import org.xenffm.api.X86Registers.Segment;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;

/**
 * vCPU registers through HVM save records (domctl.c XEN_DOMCTL_{get,set}hvmcontext{,_partial}, hvm/save.c
 * hvm_save_one/hvm_load, hvm.c hvm_save_cpu_ctxt/hvm_load_cpu_ctxt).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
@Timeout(60)
class HvmContextRulesTest {
    final EmulatedHypervisor emu;
    final DomainId d;
    final VcpuId v0 = VcpuId.of(0), v1 = VcpuId.of(1);

    HvmContextRulesTest(Release release) {
        emu = release.emulator();
        d = emu.createGuest(2, 64);
    }

    private Registers set(int vcpu, java.util.function.Consumer<Registers> f) {
        GuestCpu c = emu.guest(d).vcpu(vcpu);
        Registers r = c.registers();
        f.accept(r);
        c.setRegisters(r);
        return r;
    }

    @Test void partialReadsOneVcpusCpuRecord() {
        set(1, r -> { r.rax = 0x1111; r.r15 = 0xf15; r.rip = 0xffffffff81000000L; r.cr3 = 0x1234000; r.dr0 = 0xd0;
            r.msrCstar = 0xc57a4; r.tsc = 12345; r.fsBase = 0x7fff0000L; r.sel[0] = 0x33; });
        X86Registers x = emu.domainHvmGetcontextPartial(d, v1);
        assertEquals(0x1111, x.rax());
        assertEquals(0xf15, x.r15());
        assertEquals(0xffffffff81000000L, x.rip());
        assertEquals(0x1234000, x.cr3());
        assertEquals(0x80050033L, x.cr0());
        assertEquals(0xd01, x.msrEfer());
        assertEquals(0x7fff0000L, x.fsBase());
        assertEquals(0x33, x.csSel());
        assertTrue(x.cs().longMode());
        assertEquals(0xfffff, x.cs().limit(), "a granular 4 GiB limit is packed as vm_event packs it (>> 12)");
        assertEquals(0xd0, x.context(ContextReg.DR0).orElseThrow());
        assertEquals(0xc57a4, x.context(ContextReg.MSR_CSTAR).orElseThrow());
        assertEquals(12345, x.context(ContextReg.TSC).orElseThrow());
        assertTrue(x.fromContext());
        assertNotEquals(x.rax(), emu.domainHvmGetcontextPartial(d, v0).rax(), "instance = the vCPU id");
    }

    @Test void partialErrors() {
        fails(Errno.ENOENT, "xc_domain_hvm_getcontext_partial", () -> emu.domainHvmGetcontextPartial(d, VcpuId.of(2)));
        fails(Errno.ESRCH, "xc_domain_hvm_getcontext_partial", () -> emu.domainHvmGetcontextPartial(DomainId.of(99), v0));
        fails(Errno.EINVAL, "xc_domain_hvm_getcontext_partial", () -> emu.domainHvmGetcontextPartial(DomainId.DOM0, v0));
        fails(Errno.EINVAL, "xc_domain_hvm_getcontext", () -> emu.domainHvmGetcontext(DomainId.DOM0));
        DomainId pv = emu.createGuest(GuestSpec.hvm(1, 16).pv());
        fails(Errno.EINVAL, "xc_domain_hvm_getcontext_partial", () -> emu.domainHvmGetcontextPartial(pv, v0));
    }

    @Test void theEventsRegistersAndTheContextsAreOneType() throws Exception {
        set(0, r -> { r.rax = 0xa; r.rbx = 0xb; r.rip = 0x401000; r.cr3 = 0x5000; r.gsBase = 0xffff888000000000L;
            r.sel[1] = 0x2b;
            // every segment field distinct (bases, byte and granular limits, attributes), and the fields that share
            // their 8-byte words with them in the vm_event image: a field packed into a neighbour's place shows
            r.fsBase = 0x7fff12340000L; r.shadowGs = 0xfffff80012340000L; r.gdtrLimit = 0x7f;
            for (int i = 0; i < 6; i++) {
                r.sel[i] = 0x13 + 8 * i;
                r.segLimit[i] = i % 2 == 0 ? 0xfffff + 0x1000 * i : 0x1234 + i;
                r.segAr[i] = (i % 2 == 0 ? 0x800 : 0) | 0x93 + i;   // G on the even ones
                if (i < 4) r.segBase[i] = 0x10000 * (i + 1) + i;
            }
        });
        BlockingQueue<X86Registers> seen = new ArrayBlockingQueue<>(1);
        try (MonitorSession s = MonitorSession.builder(emu, d).guestRequest(true, false)
                .on(VmEvent.GuestRequest.class, e -> { seen.add(e.copy().regs()); return VmEventResponse.CONTINUE; })
                .start()) {
            emu.guest(d).vcpu(0).guestRequest().await(Duration.ofSeconds(10));
            X86Registers ev = seen.poll(10, TimeUnit.SECONDS);
            X86Registers ctx = emu.domainHvmGetcontextPartial(d, v0);
            for (Reg r : Reg.values()) {
                if (r == Reg.VMTRACE_POS) continue;   // vm_event: ~0 without vmtrace; the save record has none
                assertEquals(ev.get(r), ctx.get(r), r.name());
            }
            for (Segment sg : Segment.values()) {
                assertEquals(ev.selector(sg), ctx.selector(sg), sg.name());
                assertEquals(ev.selectorReg(sg), ctx.selectorReg(sg), sg.name());
                assertEquals(ev.base(sg), ctx.base(sg), sg.name());
            }
            assertFalse(ev.fromContext());
            assertEquals(0x1b, ctx.ssSel());
            assertEquals(0x7f, ev.gdtrLimit());
            assertEquals(0x30002, ev.base(Segment.DS));
            assertEquals(0x3b, ev.selector(Segment.GS));
        }
    }

    @Test void setcontextWritesOneRecordOfTheWholeContext() {
        HvmContext c = emu.domainHvmGetcontext(d);
        assertEquals(List.of(HvmContext.CODE_HEADER, HvmContext.CODE_CPU, HvmContext.CODE_CPU, HvmContext.CODE_END),
                c.records().stream().map(HvmContext.Record::typecode).toList());
        assertEquals(c, HvmContext.parse(c.toBytes()), "the save buffer round-trips");
        X86Registers before1 = emu.domainHvmGetcontextPartial(d, v1);
        X86Registers regs = c.cpu(v0).with(Reg.RAX, 0xfeed).with(Reg.CR3, 0x77000).with(Reg.RIP, 0x1234)
                .toBuilder().context(ContextReg.DR1, 0xdead).build();
        emu.domainHvmSetcontext(d, c.withCpu(v0, regs));
        X86Registers after = emu.domainHvmGetcontextPartial(d, v0);
        assertEquals(0xfeed, after.rax());
        assertEquals(0x77000, after.cr3());
        assertEquals(0x1234, after.rip());
        assertEquals(0xdead, after.context(ContextReg.DR1).orElseThrow());
        assertEquals(regs, after, "every other field kept");
        assertEquals(before1, emu.domainHvmGetcontextPartial(d, v1));
        Registers guestSees = emu.guest(d).vcpu(0).registers();
        assertEquals(0xfeed, guestSees.rax);
        assertEquals(0x77000, guestSees.cr3);
    }

    @Test void aVcpuWithoutCpuRecordGoesDown() {
        HvmContext c = emu.domainHvmGetcontext(d);
        List<HvmContext.Record> only0 = new ArrayList<>(c.records());
        only0.removeIf(r -> r.typecode() == HvmContext.CODE_CPU && r.instance() == 1);
        emu.domainHvmSetcontext(d, new HvmContext(only0));
        fails(Errno.ENODATA, "xc_domain_hvm_getcontext_partial", () -> emu.domainHvmGetcontextPartial(d, v1));
        assertEquals(3, emu.domainHvmGetcontext(d).records().size(), "hvm_save_cpu_ctxt skips a down vCPU");
        assertEquals(Outcome.NOT_RUNNABLE, emu.guest(d).vcpu(1).cpuid(0, 0).await(Duration.ofSeconds(10)),
                "a down vCPU does not run");
        emu.domainHvmSetcontext(d, c);   // its record brings it back up
        assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(1).cpuid(0, 0).await(Duration.ofSeconds(10)));
    }

    @Test void loadChecks() {
        HvmContext c = emu.domainHvmGetcontext(d);
        X86Registers r0 = c.cpu(v0);
        String op = "xc_domain_hvm_setcontext";
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, c.withCpu(v0, r0.with(Reg.CR0, 0x80000010L))));  // PG without PE
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, c.withCpu(v0, r0.with(Reg.CR0, 0x80000001L))));  // no ET
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, c.withCpu(v0, r0.with(Reg.CR4, 1L << 13))));     // VMXE
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, c.withCpu(v0, r0.with(Reg.MSR_EFER, 0x400))));   // LMA w/o LME
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, c.withCpu(v0, r0.with(Reg.CR3, 1L << 50))));
        List<HvmContext.Record> rs = c.records();
        fails(Errno.ENODATA, op, () -> emu.domainHvmSetcontext(d, new HvmContext(rs.subList(1, rs.size()))));
        fails(Errno.ENODATA, op, () -> emu.domainHvmSetcontext(d, new HvmContext(rs.subList(0, rs.size() - 1))));
        byte[] badMagic = rs.get(0).data();
        badMagic[0] ^= 1;
        List<HvmContext.Record> bm = new ArrayList<>(rs);
        bm.set(0, new HvmContext.Record(HvmContext.CODE_HEADER, 0, badMagic));
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, new HvmContext(bm)));
        List<HvmContext.Record> unknown = new ArrayList<>(rs);
        unknown.add(1, new HvmContext.Record(21, 0, new byte[8]));
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, new HvmContext(unknown)));
        List<HvmContext.Record> noVcpu = new ArrayList<>(rs);
        noVcpu.add(1, new HvmContext.Record(HvmContext.CODE_CPU, 5, rs.get(1).data()));
        fails(Errno.EINVAL, op, () -> emu.domainHvmSetcontext(d, new HvmContext(noVcpu)));
    }

    @Test void parsingIsBoundsChecked() {
        byte[] blob = emu.domainHvmGetcontext(d).toBytes();
        assertThrows(IllegalArgumentException.class, () -> HvmContext.parse(java.util.Arrays.copyOf(blob, 40)));
        blob[4] = (byte) 0xff;   // the header's length
        blob[7] = (byte) 0x7f;
        assertThrows(IllegalArgumentException.class, () -> HvmContext.parse(blob));
    }
}
