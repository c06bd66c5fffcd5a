// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.io.PrintWriter;
import java.time.Duration;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;

/**
 * Run in a child JVM by {@link MonitorSigintTest}: {@code xenffm monitor -m 1 altp2m_write cpuid} over an emulated
 * guest that keeps raising events; after SIGINT the JVM's shutdown hooks run, and this prints what the domain was left
 * with once the command's teardown is over.
 */
public final class MonitorSigintChild {
    public static void main(String[] args) throws Exception {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("1x256"));
        DomainId d = DomainId.of(1);
        emu.hvmParamSet(d, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
        GuestCpu cpu = emu.guest(d).vcpu(0);
        PrintWriter out = new PrintWriter(System.out, true);
        Thread.ofPlatform().daemon(true).start(() -> Main.execute(new String[] {"--backend", "emulated", "--json",
                "monitor", "-m", "1", "altp2m_write", "cpuid"}, out, new PrintWriter(System.err, true),
                Backends.Opener.lending(emu), false));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // the command's own hook tears down concurrently: wait for it (probing without changing anything)
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            boolean ring = true, altp2m = true;
            while ((ring || altp2m) && System.nanoTime() < deadline) {
                ring = ringPresent(emu, d);
                altp2m = emu.altp2mGetDomainState(d);
                if (ring || altp2m) Thread.onSpinWait();
            }
            System.out.println("STATE ring=" + ring + " altp2m=" + altp2m + " view=" + cpu.currentView()
                    + " vcpu_paused=" + cpu.pausedByVmEvent() + " domain_paused=" + emu.domainGetinfo(d).paused()
                    + " shutdown=" + emu.domainGetinfo(d).shutdown());
            System.out.flush();
        }));
        int writes = 0, steps = 0, cpuids = 0;
        boolean ready = false;
        for (int i = 0; ; i++) {
            var w = cpu.write(Gfn.of(0x30 + (i % 16)), 0, new byte[] {(byte) i});
            writes += w.eventsSent();
            w.await(Duration.ofSeconds(30));
            if (cpu.singleStepping()) steps += awaited(cpu.step(1));
            cpuids += awaited(cpu.cpuid(i & 0xff, 0));
            if (!ready && writes >= 3 && steps >= 3 && cpuids >= 3) {
                ready = true;
                out.println("READY"); // and the guest goes on raising events while the signal arrives
            }
        }
    }

    private static int awaited(org.xenffm.emulated.GuestResult r) {
        r.await(Duration.ofSeconds(30));
        return r.eventsSent();
    }

    /** xc_monitor_resume only processes responses; ENODEV says there is no ring. */
    private static boolean ringPresent(EmulatedHypervisor emu, DomainId d) {
        try {
            emu.monitorResume(d);
            return true;
        } catch (XenException e) {
            return false;
        }
    }
}
