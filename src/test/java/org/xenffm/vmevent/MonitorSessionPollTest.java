// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.Outcome;

/** The caller-driven mode: no session thread, {@code poll(Duration)} from the tool's own loop. */
@Timeout(60)
class MonitorSessionPollTest {
    private final EmulatedHypervisor emu = new EmulatedHypervisor();
    private final DomainId d = emu.createGuest(2, 64);

    @Test void pollHandlesOnTheCallingThreadAndCloseTearsDown() {
        List<String> threads = new ArrayList<>();
        MonitorSession s = MonitorSession.builder(emu, d).memAccess(Gfn.of(0x20), 1, MemAccess.RX)
                .on(VmEvent.MemAccess.class, e -> {
                    threads.add(Thread.currentThread().getName());
                    return VmEventResponse.CONTINUE.emulate();
                }).startPolling();
        assertTrue(s.isRunning());
        assertEquals(0, s.poll(Duration.ofMillis(10)), "nothing yet");
        GuestResult w = emu.guest(d).vcpu(0).write(Gfn.of(0x20), 0, new byte[]{1});
        assertEquals(Outcome.PAUSED_ON_EVENT, w.outcome(), "nobody drains without poll");
        assertEquals(1, s.poll(Duration.ofSeconds(5)));
        assertEquals(Outcome.COMPLETED, w.await(Duration.ofSeconds(5)));
        assertEquals(List.of(Thread.currentThread().getName()), threads);
        // a paused vCPU at close is answered by the teardown
        GuestResult w2 = emu.guest(d).vcpu(1).write(Gfn.of(0x20), 1, new byte[]{2});
        assertEquals(Outcome.PAUSED_ON_EVENT, w2.outcome());
        s.close();
        assertEquals(Outcome.COMPLETED, w2.await(Duration.ofSeconds(5)));
        assertEquals(1, s.answeredAtTeardown());
        assertFalse(s.isRunning());
        assertEquals(-1, s.poll(Duration.ofMillis(1)));
        GuestResult after = emu.guest(d).vcpu(0).write(Gfn.of(0x20), 2, new byte[]{3});
        assertEquals(Outcome.COMPLETED, after.outcome(), "the access was restored: no event, no pause");
        assertEquals(0, after.eventsSent());
    }

    @Test void closeFromAHandlerEndsThePollLoop() {
        MonitorSession[] box = new MonitorSession[1];
        box[0] = MonitorSession.builder(emu, d).memAccess(Gfn.of(0x21), 1, MemAccess.RX)
                .on(VmEvent.MemAccess.class, e -> { box[0].close(); return VmEventResponse.CONTINUE.emulate(); })
                .startPolling();
        GuestResult w = emu.guest(d).vcpu(0).write(Gfn.of(0x21), 0, new byte[]{1});
        assertEquals(-1, box[0].poll(Duration.ofSeconds(5)), "the handler closed the session; poll tore it down");
        assertEquals(Outcome.COMPLETED, w.await(Duration.ofSeconds(5)));
        assertEquals(1, box[0].eventsHandled());
    }

    @Test void aStartedSessionRefusesPoll() {
        try (MonitorSession s = MonitorSession.builder(emu, d).memAccess(Gfn.of(0x22), 1, MemAccess.RX).start()) {
            assertThrows(IllegalStateException.class, () -> s.poll(Duration.ofMillis(1)));
        }
    }

    @Test void aFailingHandlerIsReportedOnceByPoll() {
        MonitorSession s = MonitorSession.builder(emu, d).memAccess(Gfn.of(0x23), 1, MemAccess.RX)
                .on(VmEvent.MemAccess.class, e -> { throw new IllegalStateException("boom"); }).startPolling();
        GuestResult w = emu.guest(d).vcpu(0).write(Gfn.of(0x23), 0, new byte[]{1});
        assertThrows(MonitorSessionException.class, () -> s.poll(Duration.ofSeconds(5)));
        assertEquals(Outcome.COMPLETED, w.await(Duration.ofSeconds(5)), "answered, nothing left paused");
        assertEquals(-1, s.poll(Duration.ofMillis(1)));
        s.close();   // reported already: no second throw
    }
}
