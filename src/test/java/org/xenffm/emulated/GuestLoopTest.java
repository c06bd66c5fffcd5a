// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;

import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.VmEventLayout.*;

/** GuestCpu.cpuidLoop: a vCPU executing instruction after instruction, resumed by the consumer's notify. */
class GuestLoopTest {
    final EmulatedHypervisor emu = new EmulatedHypervisor();
    final DomainId d = emu.createGuest(2, 64);

    @Test void eachCpuidOfTheLoopIsOneSyncEventAndTheNextRunsOnlyAfterItsResponse() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorCpuid(d, true);
            long rip0 = emu.guest(d).vcpu(1).registers().rip;
            GuestResult loop = emu.guest(d).vcpu(1).cpuidLoop(7, 2, 5);
            for (int i = 0; i < 5; i++) {
                assertEquals(Outcome.PAUSED_ON_EVENT, loop.outcome());
                assertTrue(emu.guest(d).vcpu(1).pausedByVmEvent());
                TestConsumer.Req q = tc.takeOne(); // one at a time: the vCPU is paused until answered
                assertEquals(REASON_CPUID, q.reason());
                assertEquals(1, q.vcpu());
                assertEquals(F_VCPU_PAUSED, q.flags());
                assertEquals(7, q.u32(U_CPUID_LEAF));
                assertEquals(2, q.u32(U_CPUID_SUBLEAF));
                assertEquals(rip0 + 2L * i, q.reg(R_RIP), "the previous response's registers were loaded");
                // the consumer moves RIP past the instruction (SET_REGISTERS), as a CPUID handler must
                tc.respond(q, F_SET_REGISTERS, rsp -> {
                    java.lang.foreign.MemorySegment.copy(q.raw(), DATA, rsp, DATA, 344);
                    rsp.set(ValueLayout.JAVA_LONG, DATA + R_RIP, q.reg(R_RIP) + 2);
                });
            }
            assertEquals(Outcome.COMPLETED, loop.await(Duration.ofSeconds(5)));
            assertEquals(5, loop.eventsSent());
            assertEquals(rip0 + 10, emu.guest(d).vcpu(1).registers().rip);
            assertTrue(tc.take().isEmpty(), "nothing after the last instruction");
            assertFalse(emu.guest(d).vcpu(1).pausedByVmEvent());
        }
    }

    @Test void anUnmonitoredLoopRunsToTheEndAtOnce() {
        long rip0 = emu.guest(d).vcpu(0).registers().rip;
        GuestResult loop = emu.guest(d).vcpu(0).cpuidLoop(0, 0, 4);
        assertEquals(Outcome.COMPLETED, loop.outcome());
        assertEquals(0, loop.eventsSent());
        assertEquals(rip0 + 8, emu.guest(d).vcpu(0).registers().rip, "each CPUID completes without an event: RIP += 2");
    }

    @Test void aPausedLoopMakesTheVcpuBusyAndALoopRunsAtLeastOnce() {
        try (TestConsumer tc = new TestConsumer(emu, d)) {
            emu.monitorCpuid(d, true);
            GuestResult loop = emu.guest(d).vcpu(0).cpuidLoop(0, 0, 2);
            assertEquals(Outcome.NOT_RUNNABLE, emu.guest(d).vcpu(0).cpuid(0, 0).outcome());
            assertThrows(IllegalArgumentException.class, () -> emu.guest(d).vcpu(1).cpuidLoop(0, 0, 0));
            tc.respond(tc.takeOne(), 0);
            tc.respond(tc.takeOne(), 0);
            assertEquals(Outcome.COMPLETED, loop.await(Duration.ofSeconds(5)));
        }
    }
}
