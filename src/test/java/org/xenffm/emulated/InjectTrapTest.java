// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.VcpuId;
import org.xenffm.api.XenException;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.api.X86Registers;

/**
 * xc_hvm_inject_trap (dm.c:inject_event, hvm.c:hvm_do_resume) and the RIP rule of a CPUID event (vmx.c
 * EXIT_REASON_CPUID: update_guest_eip() only when no event was sent).
 */
@Timeout(60)
class InjectTrapTest {
    private static final Duration T = Duration.ofSeconds(10);
    private final EmulatedHypervisor emu = new EmulatedHypervisor();
    private final DomainId d = emu.createGuest(2, 64);

    private Errno errno(Runnable r) {
        return assertThrows(XenException.class, r::run).errno();
    }

    @Test
    void oneInjectionPendsUntilTheNextVmEntryAndASecondIsEbusy() {
        GuestCpu cpu = emu.guest(d).vcpu(1);
        emu.hvmInjectTrap(d, VcpuId.of(1), 14, 3, 0x2, 0, 0xdead000L);
        assertEquals(new InjectedEvent(14, 3, 2, 0, 0xdead000L), cpu.pendingInjection().orElseThrow());
        XenException busy = assertThrows(XenException.class, () -> emu.hvmInjectTrap(d, VcpuId.of(1), 3, 6, -1, 1, 0));
        assertEquals(Errno.EBUSY, busy.errno());
        assertEquals("xc_hvm_inject_trap", busy.operation());
        assertTrue(emu.guest(d).vcpu(0).pendingInjection().isEmpty(), "per vCPU: vcpu 0 has nothing pending");
        emu.hvmInjectTrap(d, VcpuId.of(0), 3, 6, -1, 1, 0); // another vCPU's slot is free

        assertEquals(Outcome.COMPLETED, cpu.step(3).await(T)); // VM entry: hvm_do_resume injects and clears
        assertTrue(cpu.pendingInjection().isEmpty());
        assertEquals(List.of(new InjectedEvent(14, 3, 2, 0, 0xdead000L)), cpu.deliveredEvents());
        emu.hvmInjectTrap(d, VcpuId.of(1), 3, 6, -1, 1, 0); // the slot is free again
        assertTrue(cpu.pendingInjection().isPresent());
    }

    @Test
    void dmOpChecksItsTarget() {
        assertEquals(Errno.EINVAL, errno(() -> emu.hvmInjectTrap(d, VcpuId.of(2), 3, 6, -1, 1, 0)), "vcpuid >= max");
        assertEquals(Errno.ESRCH, errno(() -> emu.hvmInjectTrap(DomainId.of(77), VcpuId.of(0), 3, 6, -1, 1, 0)));
        assertEquals(Errno.EPERM, errno(() -> emu.hvmInjectTrap(DomainId.DOM0, VcpuId.of(0), 3, 6, -1, 1, 0)),
                "rcu_lock_remote_domain_by_id refuses the caller itself");
        assertThrows(IllegalArgumentException.class, () -> emu.hvmInjectTrap(d, VcpuId.of(0), 256, 6, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> emu.hvmInjectTrap(d, VcpuId.of(0), 3, -1, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> emu.hvmInjectTrap(d, VcpuId.of(0), 3, 6, -1, 300, 0));
        assertTrue(emu.guest(d).vcpu(0).pendingInjection().isEmpty(), "nothing queued by a refused call");
    }

    @Test
    void anUnmonitoredInt3IsPropagatedByXenAMonitoredOneOnlyIfReinjected() throws Exception {
        GuestCpu cpu = emu.guest(d).vcpu(0);
        assertEquals(Outcome.COMPLETED, cpu.softwareBreakpoint().await(T));
        assertEquals(List.of(new InjectedEvent(3, 6, -1, 1, 0)), cpu.deliveredEvents(), "vmx_propagate_intr");

        LinkedBlockingQueue<Boolean> reinject = new LinkedBlockingQueue<>(List.of(false, true));
        try (MonitorSession s = MonitorSession.builder(emu, d).softwareBreakpoint()
                .on(VmEvent.SoftwareBreakpoint.class, e -> {
                    if (reinject.poll()) emu.hvmInjectTrap(d, e.vcpu(), 3, e.type(), -1, e.insnLength(), 0);
                    return VmEventResponse.CONTINUE;
                }).start()) {
            GuestResult swallowed = cpu.softwareBreakpoint();
            assertEquals(1, swallowed.eventsSent());
            assertEquals(Outcome.COMPLETED, swallowed.await(T));
            assertEquals(1, cpu.deliveredEvents().size(), "taken by the monitor and not re-injected: the guest never sees it");
            assertEquals(Outcome.COMPLETED, cpu.softwareBreakpoint().await(T));
            assertEquals(List.of(new InjectedEvent(3, 6, -1, 1, 0), new InjectedEvent(3, 6, -1, 1, 0)),
                    cpu.deliveredEvents(), "re-injected while paused, delivered when the vCPU resumed");
            assertTrue(cpu.pendingInjection().isEmpty());
        }
    }

    @Test
    void cpuidLeavesRipOnTheInstructionUnlessTheAnswerMovesIt() throws Exception {
        GuestCpu cpu = emu.guest(d).vcpu(0);
        long rip = cpu.registers().rip;
        assertEquals(Outcome.COMPLETED, cpu.cpuid(0, 0).await(T));
        assertEquals(rip + 2, cpu.registers().rip, "no monitor: update_guest_eip()");

        LinkedBlockingQueue<Boolean> move = new LinkedBlockingQueue<>(List.of(false, true));
        try (MonitorSession s = MonitorSession.builder(emu, d).cpuid().on(VmEvent.Cpuid.class, e -> move.poll()
                ? VmEventResponse.CONTINUE.setRegisters(e.regs().with(X86Registers.Gpr.RIP, e.regs().rip() + e.insnLength()))
                : VmEventResponse.CONTINUE).start()) {
            GuestResult r = cpu.cpuid(0, 0);
            assertEquals(1, r.eventsSent());
            assertEquals(Outcome.COMPLETED, r.await(T));
            assertEquals(rip + 2, cpu.registers().rip, "event sent, CONTINUE: RIP still on the CPUID (re-executed)");
            r = cpu.cpuid(0, 0);
            assertEquals(Outcome.COMPLETED, r.await(T));
            assertEquals(rip + 4, cpu.registers().rip, "SET_REGISTERS with rip + insn_length");
            assertEquals(0xd, cpu.registers().rax, "the CPUID result is in the registers the event carried");
        }
    }

}
