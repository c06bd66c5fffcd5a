// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;
import static org.xenffm.emulated.VmEventLayout.*;

/** mem_access rules of docs/xen-semantics.md §5 (p2m_mem_access_check, mem_access_memop) and monitor rules of §6. */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class MemAccessRulesTest {
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d;

    MemAccessRulesTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = emu.createGuest(1, 256);
    }

    // p2m_mem_access_check step 1: a write to rx2rw silently becomes rw, no event
    @Test void rx2rwUpgradesSilently() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.RX2RW, g(1), 1);
            assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).read(g(1), 0, 1).outcome());
            assertEquals(Outcome.COMPLETED, emu.guest(d).vcpu(0).write(g(1), 0, bytes(3)).outcome());
            assertEquals(MemAccess.RW, emu.getMemAccess(d, g(1)));
            assertEquals(0, tc.take().size());
        }
    }

    // step 2: n2rwx becomes rwx and the event is async (vCPU not paused)
    @Test void n2rwxSendsAsyncEvent() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.N2RWX, g(2), 1);
            GuestResult r = emu.guest(d).vcpu(0).read(g(2), 0, 1);
            assertEquals(Outcome.COMPLETED, r.outcome());
            assertEquals(1, r.eventsSent());
            var q = tc.takeOne();
            assertEquals(0, q.flags() & F_VCPU_PAUSED);
            assertEquals(MEM_ACCESS_R, q.accessFlags());
            assertEquals(MemAccess.RWX, emu.getMemAccess(d, g(2)));
        }
    }

    // step 3: no listener → relax to rwx, or crash the domain when access is required
    @Test void noListener() {
        EmulatedHypervisor e = release.emulator();
        DomainId x = e.createGuest(1, 64);
        e.monitorEnable(x);
        e.setMemAccess(x, MemAccess.R, g(1), 1);
        e.setMemAccess(x, MemAccess.R, g(2), 1);
        e.monitorDisable(x);
        assertEquals(Outcome.COMPLETED, e.guest(x).vcpu(0).write(g(1), 0, bytes(1)).outcome());
        assertEquals(MemAccess.RWX, e.hostEntry(x, g(1)).access());
        e.domainSetAccessRequired(x, true);
        assertEquals(Outcome.DOMAIN_CRASHED, e.guest(x).vcpu(0).write(g(2), 0, bytes(1)).outcome());
        assertTrue(e.domainGetinfo(x).shutdown());
        assertEquals(Outcome.DOMAIN_CRASHED, e.guest(x).vcpu(0).read(g(3), 0, 1).outcome());
        fails(Errno.EPERM, "xc_domain_set_access_required", () -> e.domainSetAccessRequired(DomainId.DOM0, true));
    }

    // the violation table; VMX makes a write to a write-only page a read violation too (R reported)
    @Test void violationTable() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            record Case(MemAccess a, int op, boolean violates) {}
            List<Case> cases = new java.util.ArrayList<>(List.of(new Case(MemAccess.W, 1, true),
                    new Case(MemAccess.WX, 1, true), new Case(MemAccess.RW, 1, false),
                    new Case(MemAccess.X, 0, true), new Case(MemAccess.X, 2, false), new Case(MemAccess.RW, 2, true),
                    new Case(MemAccess.RX, 1, true), new Case(MemAccess.R, 0, false), new Case(MemAccess.N, 2, true)));
            if (release.hasReadPageWalk())   // §5.1: r_pw is r for the guest's own accesses
                cases.addAll(List.of(new Case(MemAccess.R_PW, 0, false), new Case(MemAccess.R_PW, 1, true),
                        new Case(MemAccess.R_PW, 2, true)));
            long gfn = 10;
            for (Case c : cases) {
                emu.setMemAccess(d, c.a(), g(gfn), 1);
                var cpu = emu.guest(d).vcpu(0);
                GuestResult r = c.op() == 0 ? cpu.read(g(gfn), 0, 1) : c.op() == 1 ? cpu.write(g(gfn), 0, bytes(1))
                        : cpu.execute(g(gfn), 0);
                assertEquals(c.violates() ? Outcome.PAUSED_ON_EVENT : Outcome.COMPLETED, r.outcome(), c.toString());
                if (c.violates()) {
                    var q = tc.takeOne();
                    emu.setMemAccess(d, MemAccess.RWX, g(gfn), 1);
                    tc.respond(q, 0);
                    assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
                    if (c.op() == 1) assertEquals(MEM_ACCESS_R | MEM_ACCESS_W, q.accessFlags());
                    if (c.op() == 2) assertEquals(MEM_ACCESS_X, q.accessFlags());
                }
                gfn++;
            }
        }
    }

    // mem_access_memop: range checks, ~0, get rules
    @Test void memopRules() {
        emu.monitorEnable(d);
        long max = emu.domainMaximumGpfn(d);
        fails(Errno.EINVAL, "xc_set_mem_access", () -> emu.setMemAccess(d, MemAccess.R, g(max), 2));
        fails(Errno.EINVAL, "xc_get_mem_access", () -> emu.getMemAccess(d, g(max + 1)));
        fails(Errno.ESRCH, "xc_get_mem_access", () -> emu.getMemAccess(d, g(300)));
        emu.setMemAccess(d, MemAccess.R, g(300), 1);   // a hole takes no access, without error
        fails(Errno.ESRCH, "xc_get_mem_access", () -> emu.getMemAccess(d, g(300)));
        emu.setMemAccess(d, MemAccess.X, g(0), 200);
        assertEquals(MemAccess.X, emu.getMemAccess(d, g(199)));
        assertEquals(MemAccess.RWX, emu.getMemAccess(d, g(200)));
        emu.setMemAccessMulti(d, List.of(new GfnAccess(g(5), MemAccess.W), new GfnAccess(g(6), MemAccess.N2RWX)));
        assertEquals(MemAccess.N2RWX, emu.getMemAccess(d, g(6)));
        emu.setMemAccess(d, MemAccess.RX, Gfn.INVALID, 0);
        emu.setMemAccess(d, MemAccess.DEFAULT, g(7), 1);
        assertEquals(MemAccess.RX, emu.getMemAccess(d, g(7)));
        fails(Errno.EPERM, "xc_set_mem_access", () -> emu.setMemAccess(DomainId.DOM0, MemAccess.R, g(1), 1));
    }

    // vm_event_emulate_check + SET_EMUL_READ_DATA: the emulated read returns the consumer's bytes
    @Test void emulateWithReadData() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.setMemAccess(d, MemAccess.N, g(40), 1);
            GuestResult r = emu.guest(d).vcpu(0).read(g(40), 0, 4);
            var q = tc.takeOne();
            tc.respond(q, F_EMULATE | F_SET_EMUL_READ_DATA, rsp -> {
                rsp.set(ValueLayout.JAVA_INT, DATA + EMUL_READ_SIZE, 4);
                rsp.set(ValueLayout.JAVA_INT, DATA + EMUL_READ_DATA, 0x44332211);
            });
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
            assertArrayEquals(bytes(0x11, 0x22, 0x33, 0x44), r.data());
            // EMULATE_NOWRITE discards the write
            GuestResult w = emu.guest(d).vcpu(0).write(g(40), 0, bytes(9));
            tc.respond(tc.takeOne(), F_EMULATE | F_EMULATE_NOWRITE);
            assertEquals(Outcome.COMPLETED, w.await(Duration.ofSeconds(5)));
            assertEquals(0, emu.guest(d).peek(g(40))[0]);
        }
    }

    // hvm_monitor_cr: onchangeonly, ignored bits, DENY of a deferred CR0 write
    @Test void controlRegisterEvents() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorWriteCtrlreg(d, ControlRegister.CR3, true, true, 0, true);
            emu.monitorWriteCtrlreg(d, ControlRegister.CR0, true, true, 0x10, false);
            var cpu = emu.guest(d).vcpu(0);
            long cr3 = cpu.registers().cr3;
            assertEquals(Outcome.COMPLETED, cpu.writeControlRegister(ControlRegister.CR3, cr3).outcome());
            GuestResult r = cpu.writeControlRegister(ControlRegister.CR3, 0x5000);
            var q = tc.takeOne();
            assertEquals(REASON_WRITE_CTRLREG, q.reason());
            assertEquals(1, q.u32(U_CTRLREG_INDEX));
            assertEquals(0x5000, q.u64(U_CTRLREG_NEW));
            assertEquals(cr3, q.u64(U_CTRLREG_OLD));
            assertEquals(cr3, cpu.registers().cr3, "deferred until the response");
            tc.respond(q, 0);
            assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(5)));
            assertEquals(0x5000, cpu.registers().cr3);
            long cr0 = cpu.registers().cr0;
            assertEquals(Outcome.COMPLETED, cpu.writeControlRegister(ControlRegister.CR0, cr0 ^ 0x10).outcome(),
                    "only masked bits changed: no event");
            GuestResult r0 = cpu.writeControlRegister(ControlRegister.CR0, cr0 ^ 0x1);
            tc.respond(tc.takeOne(), F_DENY);
            assertEquals(Outcome.COMPLETED, r0.await(Duration.ofSeconds(5)));
            assertEquals(cr0 ^ 0x10, cpu.registers().cr0, "denied");
        }
    }

    // hvm_monitor_msr: monitored MSR, always sync, DENY cancels
    @Test void msrEvents() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorMovToMsr(d, 0xc0000082, true, false);
            var cpu = emu.guest(d).vcpu(0);
            assertEquals(Outcome.COMPLETED, cpu.writeMsr(0x10, 5).outcome());
            GuestResult r = cpu.writeMsr(0xc0000082, 0xffff800000001000L);
            var q = tc.takeOne();
            assertEquals(REASON_MOV_TO_MSR, q.reason());
            assertEquals(0xc0000082L, q.u64(U_MSR));
            assertEquals(0xffff800000001000L, q.u64(U_MSR_NEW));
            tc.respond(q, F_DENY);
            r.await(Duration.ofSeconds(5));
            assertEquals(0, cpu.msr(0xc0000082));
            GuestResult r2 = cpu.writeMsr(0xc0000082, 7);
            tc.respond(tc.takeOne(), 0);
            r2.await(Duration.ofSeconds(5));
            assertEquals(7, cpu.msr(0xc0000082));
        }
    }

    // software breakpoint, descriptor access, vmexit, interrupt (GET_NEXT_INTERRUPT is one-shot)
    @Test void otherEvents() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            var cpu = emu.guest(d).vcpu(0);
            assertEquals(Outcome.COMPLETED, cpu.softwareBreakpoint().outcome(), "not monitored: #BP to the guest");
            emu.monitorSoftwareBreakpoint(d, true);
            emu.monitorDescriptorAccess(d, true);
            emu.monitorVmexit(d, true, false);
            GuestResult bp = cpu.softwareBreakpoint();
            var q = tc.takeOne();
            assertEquals(REASON_SOFTWARE_BREAKPOINT, q.reason());
            assertEquals(cpu.registers().rip >>> 12, q.gfn());
            assertEquals(1, q.u32(U_DEBUG_INSN_LENGTH));
            tc.respond(q, F_GET_NEXT_INTERRUPT);
            bp.await(Duration.ofSeconds(5));
            GuestResult irq = cpu.interrupt(14, 3, 2, 0xdead000);
            var qi = tc.takeOne();
            assertEquals(REASON_INTERRUPT, qi.reason());
            assertEquals(14, qi.u32(U_INTERRUPT_VECTOR));
            assertEquals(0xdead000L, qi.u64(U_INTERRUPT_CR2));
            tc.respond(qi, 0);
            irq.await(Duration.ofSeconds(5));
            assertEquals(Outcome.COMPLETED, cpu.interrupt(14, 3, 2, 0).outcome());
            assertEquals(0, tc.take().size(), "one-shot");
            GuestResult da = cpu.descriptorAccess(2, true);
            var qd = tc.takeOne();
            assertEquals(REASON_DESCRIPTOR_ACCESS, qd.reason());
            assertEquals(2, qd.u8(U_DESC_DESCRIPTOR));
            assertEquals(1, qd.u8(U_DESC_IS_WRITE));
            tc.respond(qd, 0);
            da.await(Duration.ofSeconds(5));
            assertEquals(Outcome.COMPLETED, cpu.vmexit(10, 0).outcome(), "async vmexit event");
            var qv = tc.takeOne();
            assertEquals(REASON_VMEXIT, qv.reason());
            assertEquals(10, qv.u64(U_VMEXIT_REASON));
        }
    }
}
