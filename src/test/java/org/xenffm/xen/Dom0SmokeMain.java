// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.xenffm.api.DomainId;
import org.xenffm.api.EventChannel;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.XenException;
import org.xenffm.bindings.xen417.Xen;
import org.xenffm.bindings.xen417.vm_event_sring;
import org.xenffm.bindings.xen417.vm_event_st;

/**
 * A dom0 smoke run of the FFM backend on real Xen (not a unit test): hypercall latency next to the C reference
 * (src/test/native/getinfo_loop.c, same loop), errno from Xen, the monitor ring + event channel path with a
 * real CPUID event, wakeup, and the use-after-disable / use-after-close guarantees. Prints H2SMOKE lines.
 * Usage: Dom0SmokeMain <domid of a paused guest that executes CPUID> [loop count]
 */
public final class Dom0SmokeMain {
    static void out(String s) { System.out.println("H2SMOKE " + s); }

    public static void main(String[] args) throws Exception {
        DomainId d = DomainId.of(Integer.parseInt(args[0]));
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        XenHypervisor xen = new XenHypervisor();
        out("version " + xen.version() + " vm_event " + xen.vmEventGetVersion() + " " + xen.physinfo());
        out("guest " + xen.domainGetinfo(d));

        for (int i = 0; i < n; i++) xen.domainGetinfo(DomainId.DOM0); // warm up (the JIT) as long as we measure
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) xen.domainGetinfo(DomainId.DOM0);
        long t1 = System.nanoTime();
        out(String.format("java getinfolist %.2f us/call (n=%d)", (t1 - t0) / 1e3 / n, n));

        try {
            xen.domainPause(DomainId.of(0x7000));
            out("FAIL pause of a missing domain succeeded");
        } catch (XenException e) {
            out("errno " + e.errno() + " from " + e.operation() + ": " + e.getMessage());
        }

        MonitorRing ring = xen.monitorEnable(d);
        EventChannel ch = xen.eventChannelOpen();
        int local = ch.bindInterdomain(d, ring.remotePort());
        out("ring remote port " + ring.remotePort() + " local port " + local + " caps "
                + xen.monitorGetCapabilities(d));
        xen.monitorCpuid(d, true);
        long u = System.nanoTime();
        xen.domainUnpause(d);
        OptionalInt p = ch.waitPending(Duration.ofSeconds(30));
        long w = System.nanoTime();
        out("pending " + p + " after " + (w - u) / 1000 + " us");
        MemorySegment page = ring.page();
        int reqProd = page.get(JAVA_INT, vm_event_sring.req_prod$offset());
        MemorySegment first = page.asSlice(vm_event_sring.ring$offset(), vm_event_st.sizeof());
        out("req_prod " + reqProd + " first request version " + vm_event_st.version(first) + " reason "
                + vm_event_st.reason(first) + " (CPUID is " + Xen.VM_EVENT_REASON_CPUID() + ") vcpu "
                + vm_event_st.vcpu_id(first));
        if (p.isPresent()) ch.unmask(p.getAsInt());
        // binding an interdomain channel leaves a notification pending (event_channel.c:evtchn_bind_interdomain),
        // so a consumer sees one port more than requests: drain before testing wakeup
        for (OptionalInt q = ch.waitPending(Duration.ofMillis(500)); q.isPresent();
             q = ch.waitPending(Duration.ofMillis(500))) {
            out("also pending " + q + ", req_prod now " + page.get(JAVA_INT, vm_event_sring.req_prod$offset()));
            ch.unmask(q.getAsInt());
        }

        CompletableFuture<OptionalInt> blocked = CompletableFuture.supplyAsync(() -> ch.waitPending(Duration.ofMinutes(5)));
        Thread.sleep(300);
        long k = System.nanoTime();
        ch.wakeup();
        OptionalInt woken = blocked.get();
        out("wakeup returned " + woken + " after " + (System.nanoTime() - k) / 1000 + " us");

        xen.monitorDisable(d);
        try {
            page.get(JAVA_INT, 0);
            out("FAIL ring page readable after monitorDisable");
        } catch (IllegalStateException e) {
            out("ring page after disable: IllegalStateException");
        }
        ch.close();
        xen.domainDestroy(d);
        xen.close();
        try {
            xen.domainGetinfo(DomainId.DOM0);
            out("FAIL call after close succeeded");
        } catch (IllegalStateException e) {
            out("call after close: IllegalStateException");
        }
        out("done");
    }
}
