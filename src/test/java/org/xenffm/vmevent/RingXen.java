// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.xenffm.api.*;

/**
 * A test double of Xen's monitor side for one domain: just enough of common/vm_event.c and monitor.c to test the
 * session's protocol and teardown before the emulator exists. Guest vCPUs are test threads calling {@link #cpuid},
 * {@link #write} or {@link #guestRequest}; each models monitor_traps (§6.3) with the ring's back-pressure (§7.5) and
 * blocks while its vCPU is paused, like a vCPU that cannot run. Response processing follows vm_event_resume (§7.6).
 * Only the monitor-related Hypervisor calls exist ({@link #hypervisor()}); the rest throw.
 */
final class RingXen {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final DomainId DOM = DomainId.of(7);
    static final int XEN_PORT = 5, LOCAL_PORT = 42;

    private final int vcpus;
    int reportedVersion = VERSION;

    // domain and vCPU state (guarded by this)
    int toolstackPause;
    final int[] vmEventPause;
    final boolean[] blocked, waiting, stepping;
    private int lastWoken = -1;

    // ring
    private Arena arena;
    private MemorySegment page;
    private int reqProdPvt, rspCons;
    boolean ringEnabled;
    int requestsPut, responsesProcessed, responsesIgnored, dropped;

    final Set<String> monitors = new HashSet<>();
    final Map<Long, MemAccess> access = new HashMap<>();
    MemAccess defaultAccess = MemAccess.RWX;
    Channel channel;

    RingXen(int vcpus) {
        this.vcpus = vcpus;
        vmEventPause = new int[vcpus];
        blocked = new boolean[vcpus];
        waiting = new boolean[vcpus];
        stepping = new boolean[vcpus];
    }

    // ---- guest side -------------------------------------------------------------------------------------------

    /** CPUID on a vCPU: a sync CPUID event when monitored (hvm/monitor.c:hvm_monitor_cpuid). */
    void cpuid(int vcpu, int leaf) throws InterruptedException {
        trap(vcpu, "cpuid", Requests.sync(REASON_CPUID, vcpu).u32(CPUID_LEAF, leaf).u32(CPUID_INSN_LENGTH, 2), true);
    }

    /** A guest write to gfn: a MEM_ACCESS event when the access violates (p2m_mem_access_check), else nothing. */
    void write(int vcpu, long gfn) throws InterruptedException {
        boolean violates;
        synchronized (this) {
            violates = ringEnabled && access.getOrDefault(gfn, defaultAccess).violatedBy(true, true, false);
        }
        if (violates) trap(vcpu, null, Requests.memAccessWrite(vcpu, gfn, 0x10, 0x4000_0010L + (gfn << 12)), true);
    }

    /** HVMOP_guest_request_vm_event, async (the vCPU is not paused by the event). */
    void guestRequest(int vcpu) throws InterruptedException {
        trap(vcpu, "guest_request", Requests.of(REASON_GUEST_REQUEST, vcpu, 0), false);
    }

    private synchronized void trap(int vcpu, String monitor, Requests req, boolean sync) throws InterruptedException {
        awaitRunnable(vcpu);
        if (!ringEnabled || (monitor != null && !monitors.contains(monitor))) return;
        if (stepping[vcpu]) {
            // the previous instruction was single-stepped: a SINGLESTEP event first (hvm_monitor_debug)
            if (monitors.contains("singlestep")) put(vcpu, Requests.sync(REASON_SINGLESTEP, vcpu), true);
            awaitRunnable(vcpu);
            if (!ringEnabled) return;
        }
        put(vcpu, req, sync);
        awaitRunnable(vcpu);
    }

    private void awaitRunnable(int v) throws InterruptedException {
        while (toolstackPause > 0 || vmEventPause[v] > 0 || blocked[v] || waiting[v]) wait();
    }

    // vm_event_claim_slot (sleeping on the wait queue) + monitor_traps + vm_event_put_request
    private void put(int v, Requests req, boolean sync) throws InterruptedException {
        while (ringEnabled && available() == 0) {
            waiting[v] = true;
            notifyAll();
            awaitRunnable(v); // woken by wake_up_nr (waiting cleared), then must be scheduled (domain unpaused)
        }
        if (!ringEnabled) {
            dropped++;
            return;
        }
        if (sync) vmEventPause[v]++;
        MemorySegment.copy(req.bytes, 0, page, slotOffset(reqProdPvt), SLOT_SIZE);
        reqProdPvt++;
        INT.setRelease(page, REQ_PROD, reqProdPvt);
        requestsPut++;
        if (available() < vcpus && vmEventPause[v] == 0) blocked[v] = true; // vm_event_mark_and_pause
        if (channel != null) channel.raise();
        notifyAll();
    }

    private int available() { return RING_SIZE - (reqProdPvt - rspCons); }

    // vm_event_resume: every published response, in order
    synchronized void processResponses() {
        if (!ringEnabled) return;
        while (rspCons != (int) INT.getAcquire(page, RSP_PROD)) {
            long o = slotOffset(rspCons);
            int version = page.get(ValueLayout.JAVA_INT, o + VERSION_OFF);
            int flags = page.get(ValueLayout.JAVA_INT, o + FLAGS);
            int v = page.get(ValueLayout.JAVA_INT, o + VCPU_ID);
            rspCons++;
            page.set(ValueLayout.JAVA_INT, RSP_EVENT, rspCons + 1);
            if (version != VERSION || v < 0 || v >= vcpus || vmEventPause[v] == 0) {
                responsesIgnored++;
                continue;
            }
            responsesProcessed++;
            if ((flags & FLAG_TOGGLE_SINGLESTEP) != 0) stepping[v] = !stepping[v];
            if ((flags & FLAG_VCPU_PAUSED) != 0) vmEventPause[v]--;
        }
        wake();
        notifyAll();
    }

    // vm_event_wake: queued waiters first (up to the free slots), else blocked vCPUs round-robin
    private void wake() {
        int avail = available();
        boolean anyWaiting = false;
        for (int v = 0; v < vcpus; v++) anyWaiting |= waiting[v];
        if (anyWaiting) {
            for (int v = 0; v < vcpus && avail > 0; v++) {
                if (waiting[v]) {
                    waiting[v] = false;
                    avail--;
                }
            }
            return;
        }
        for (int j = 0, i = lastWoken + 1; j < vcpus && avail > 0; j++, i++) {
            int v = i % vcpus;
            if (blocked[v]) {
                blocked[v] = false;
                avail--;
                lastWoken = v;
            }
        }
    }

    /** A broken or hostile producer: publishes a req_prod far beyond anything it filled, and kicks. */
    synchronized void corruptReqProd() {
        page.set(ValueLayout.JAVA_INT, REQ_PROD, reqProdPvt + 100);
        if (channel != null) channel.raise();
    }

    /** Nothing of the guest is held by the monitor: every vCPU can run, the toolstack pause is balanced. */
    synchronized String heldState() {
        StringBuilder sb = new StringBuilder();
        if (toolstackPause != 0) sb.append("toolstack pause ").append(toolstackPause).append("; ");
        for (int v = 0; v < vcpus; v++) {
            if (vmEventPause[v] != 0) sb.append("vcpu ").append(v).append(" vm_event-paused; ");
            if (blocked[v]) sb.append("vcpu ").append(v).append(" blocked; ");
            if (waiting[v]) sb.append("vcpu ").append(v).append(" waiting; ");
        }
        return sb.toString();
    }

    // ---- the Hypervisor calls the session uses ---------------------------------------------------------------

    private XenException err(String op, Errno e) { return XenException.of(op, DOM, e); }

    private void checkDom(String op, DomainId d) { if (!d.equals(DOM)) throw err(op, Errno.ESRCH); }

    public int vmEventGetVersion() { return reportedVersion; }

    public synchronized DomainInfo domainGetinfo(DomainId d) {
        checkDom("xc_domain_getinfolist", d);
        return new DomainInfo(DOM, false, false, toolstackPause > 0, true, true, 1024, 1024, 0, vcpus - 1, vcpus);
    }

    public synchronized void domainPause(DomainId d) {
        checkDom("xc_domain_pause", d);
        toolstackPause++;
    }

    public synchronized void domainUnpause(DomainId d) {
        checkDom("xc_domain_unpause", d);
        if (toolstackPause == 0) throw err("xc_domain_unpause", Errno.EINVAL);
        toolstackPause--;
        notifyAll();
    }

    public synchronized MonitorRing monitorEnable(DomainId d) {
        checkDom("xc_monitor_enable", d);
        if (ringEnabled) throw err("xc_monitor_enable", Errno.EBUSY);
        arena = Arena.ofShared();
        page = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        reqProdPvt = rspCons = 0; // Xen resets only its private front indexes
        ringEnabled = true;
        return new MonitorRing(DOM, page, XEN_PORT);
    }

    public synchronized void monitorDisable(DomainId d) {
        checkDom("xc_monitor_disable", d);
        if (!ringEnabled) throw err("xc_monitor_disable", Errno.EINVAL);
        for (int v = 0; v < vcpus; v++) if (waiting[v]) throw err("xc_monitor_disable", Errno.EBUSY);
        for (int v = 0; v < vcpus; v++) blocked[v] = false; // vm_event_disable unblocks; vm_event pauses stay
        ringEnabled = false;
        monitors.clear(); // arch_monitor_cleanup_domain
        arena.close();    // unmapped: any later consumer access fails loudly
        notifyAll();
    }

    public void monitorResume(DomainId d) {
        checkDom("xc_monitor_resume", d);
        synchronized (this) { if (!ringEnabled) throw err("xc_monitor_resume", Errno.ENODEV); }
        processResponses();
    }

    private synchronized void monitor(String op, String name, boolean enable) {
        if (monitors.contains(name) == enable) throw err(op, Errno.EEXIST);
        if (enable) monitors.add(name);
        else monitors.remove(name);
    }

    public void monitorCpuid(DomainId d, boolean on) { monitor("xc_monitor_cpuid", "cpuid", on); }

    public void monitorSingleStep(DomainId d, boolean on) { monitor("xc_monitor_singlestep", "singlestep", on); }

    public void monitorGuestRequest(DomainId d, boolean on, boolean sync, boolean user) {
        monitor("xc_monitor_guest_request", "guest_request", on);
    }

    public synchronized void monitorMovToMsr(DomainId d, int msr, boolean on, boolean onChangeOnly) {
        if (!ringEnabled) throw err("xc_monitor_mov_to_msr", Errno.ENXIO);
        if (msr < 0 || msr > 0x1fff) throw err("xc_monitor_mov_to_msr", Errno.EINVAL);
        monitor("xc_monitor_mov_to_msr", "msr " + msr, on);
    }

    public synchronized MemAccess getMemAccess(DomainId d, Gfn gfn) {
        if (!ringEnabled) throw err("xc_get_mem_access", Errno.ENODEV);
        return gfn.isInvalid() ? defaultAccess : access.getOrDefault(gfn.value(), defaultAccess);
    }

    public synchronized void setMemAccess(DomainId d, MemAccess a, Gfn first, int nr) {
        if (!ringEnabled) throw err("xc_set_mem_access", Errno.ENODEV);
        if (first.isInvalid()) {
            defaultAccess = a;
            return;
        }
        for (int i = 0; i < nr; i++) access.put(first.value() + i, a);
    }

    public EventChannel eventChannelOpen() {
        channel = new Channel();
        return channel;
    }

    /** The in-process event channel: Xen's side raises, the consumer's notify runs vm_event_resume. */
    final class Channel implements EventChannel {
        private final Semaphore signal = new Semaphore(0);
        private volatile boolean pending, bound, closed, woken;
        int notifies;

        void raise() {
            if (!bound) return;
            pending = true;
            signal.release();
        }

        boolean bound() { return bound; }
        boolean closed() { return closed; }

        @Override public int bindInterdomain(DomainId domain, int remotePort) {
            if (!domain.equals(DOM) || remotePort != XEN_PORT) throw err("xenevtchn_bind_interdomain", Errno.EINVAL);
            bound = true;
            return LOCAL_PORT;
        }

        @Override public void unbind(int localPort) {
            if (localPort != LOCAL_PORT || !bound) throw err("xenevtchn_unbind", Errno.EINVAL);
            bound = false;
        }

        @Override public void notify(int localPort) {
            if (localPort != LOCAL_PORT || !bound) throw err("xenevtchn_notify", Errno.EINVAL);
            notifies++;
            processResponses(); // Xen-consumed channel: the handler runs in the notifying hypercall
        }

        @Override public OptionalInt waitPending(Duration timeout) {
            try {
                signal.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (woken) {
                woken = false;
                return OptionalInt.empty();
            }
            if (!pending) return OptionalInt.empty();
            pending = false;
            return OptionalInt.of(LOCAL_PORT);
        }

        @Override public void unmask(int localPort) {}

        @Override public void wakeup() {
            woken = true;
            signal.release();
        }

        @Override public void close() {
            bound = false;
            closed = true;
        }
    }

    /** This double as a {@link Hypervisor}: the calls above by name, every other one unsupported. */
    Hypervisor hypervisor() {
        return (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(), new Class<?>[] {Hypervisor.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("close")) return null;
                    if (m.getName().equals("toString")) return "RingXen";
                    Method impl;
                    try {
                        impl = RingXen.class.getMethod(m.getName(), m.getParameterTypes());
                    } catch (NoSuchMethodException e) {
                        throw new UnsupportedOperationException("RingXen does not model " + m.getName());
                    }
                    try {
                        return impl.invoke(this, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
