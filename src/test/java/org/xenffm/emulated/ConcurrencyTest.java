// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.MemAccess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.*;

/**
 * The threading design under load: guest threads raise sync events on 4 vCPUs (more than the ring holds in flight
 * with back-pressure), a consumer thread waits on the event channel and answers each batch, and every guest
 * operation completes — no deadlock between the hypervisor lock and the event channel, no lost wake-up.
 */
class ConcurrencyTest {
    @Test void guestThreadsAndAConsumerThread() throws Exception {
        EmulatedHypervisor emu = new EmulatedHypervisor();
        DomainId d = emu.createGuest(4, 1024);
        TestConsumer tc = new TestConsumer(emu, d);
        emu.monitorCpuid(d, true);
        emu.setMemAccess(d, MemAccess.R, g(100), 4);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread consumer = new Thread(() -> {
            try {
                while (!stop.get()) {
                    OptionalInt p = tc.channel.waitPending(Duration.ofMillis(50));
                    if (p.isPresent()) tc.channel.unmask(p.getAsInt());
                    List<TestConsumer.Req> reqs = tc.take();
                    for (TestConsumer.Req q : reqs) {
                        // mem_access: let the retried write through by emulating it
                        tc.write(q, q.reason() == VmEventLayout.REASON_MEM_ACCESS ? VmEventLayout.F_EMULATE : 0, null);
                        answered.incrementAndGet();
                    }
                    if (!reqs.isEmpty()) tc.push();
                }
            } catch (Throwable t) {
                errors.add(t);
            }
        });
        consumer.start();
        int perVcpu = 200;
        List<Thread> guests = new ArrayList<>();
        for (int v = 0; v < 4; v++) {
            int vcpu = v;
            Thread t = new Thread(() -> {
                try {
                    GuestCpu cpu = emu.guest(d).vcpu(vcpu);
                    for (int i = 0; i < perVcpu; i++) {
                        GuestResult r = (i % 2 == 0) ? cpu.cpuid(i, 0) : cpu.write(g(100 + vcpu), 0, bytes(i));
                        Outcome o = r.outcome();
                        if (o == Outcome.NOT_RUNNABLE) { i--; Thread.onSpinWait(); continue; }
                        assertEquals(Outcome.COMPLETED, r.await(Duration.ofSeconds(20)));
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            guests.add(t);
            t.start();
        }
        for (Thread t : guests) t.join(60_000);
        stop.set(true);
        tc.channel.wakeup();
        consumer.join(10_000);
        assertTrue(errors.isEmpty(), () -> errors.toString());
        assertEquals(4 * perVcpu, answered.get(), "one event per operation");
        for (int v = 0; v < 4; v++) {
            assertFalse(emu.guest(d).vcpu(v).pausedByVmEvent());
            assertEquals((byte) (perVcpu - 1), emu.guest(d).peek(g(100 + v))[0], "emulated writes landed");
        }
        tc.close();
    }
}
