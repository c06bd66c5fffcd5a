// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestResult;

/**
 * Run in a child JVM by {@link StuckHandlerSigtermTest}: a session on an 8-vCPU guest whose handler never returns,
 * every vCPU waiting; after SIGTERM the session's shutdown hook must tear down without the handler. A second hook
 * prints what the guest was left with.
 */
public final class StuckHandlerSigtermChild {
    public static void main(String[] args) throws Exception {
        EmulatedHypervisor emu = new EmulatedHypervisor();
        DomainId d = emu.createGuest(8, 64);
        StuckHandler<VmEvent.Cpuid> h = new StuckHandler<>();
        MonitorSession.builder(emu, d).cpuid().teardownDeadline(Duration.ofMillis(500))
                .on(VmEvent.Cpuid.class, h).start();
        List<GuestResult> loops = new ArrayList<>();
        for (int v = 0; v < 8; v++) loops.add(emu.guest(d).vcpu(v).cpuidLoop(v, 0, 1000));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int paused = 8;
            while (paused > 0 && System.nanoTime() < end) {
                paused = 0;
                for (int v = 0; v < 8; v++) if (emu.guest(d).vcpu(v).pausedByVmEvent()) paused++;
                Thread.onSpinWait();
            }
            int done = 0;
            for (GuestResult r : loops) if (r.await(Duration.ofSeconds(20)).name().equals("COMPLETED")) done++;
            System.out.println("STATE paused=" + paused + " loops_completed=" + done + " domain_paused="
                    + emu.domainGetinfo(d).paused());
            System.out.flush();
        }));
        h.entered.await();
        while (true) {
            int paused = 0;
            for (int v = 0; v < 8; v++) if (emu.guest(d).vcpu(v).pausedByVmEvent()) paused++;
            if (paused == 8) break;
            Thread.sleep(2);
        }
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE);
    }
}
