// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.EventChannel;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.XenException;

/**
 * A vm_event monitor on one domain: enables the ring and the chosen events, hands every request to typed handlers on
 * the session's own thread, writes their responses, and — whatever happens — tears down without leaving a vCPU
 * paused.
 *
 * <pre>{@code
 * try (MonitorSession s = MonitorSession.builder(hv, domain)
 *         .memAccess(Gfn.of(0x1000), 16, MemAccess.RX)
 *         .cpuid()
 *         .on(VmEvent.MemAccess.class, e -> VmEventResponse.CONTINUE.emulate())
 *         .on(VmEvent.Cpuid.class, e -> VmEventResponse.CONTINUE)
 *         .start()) {
 *     s.awaitTermination(Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <h2>Speed</h2>
 * Requests are taken with {@link VmEventRing#drain}: each one's header and {@code u} union are copied into a private
 * buffer and checked there (the registers follow when a handler asks for them).
 * A handler registered with {@link Builder#on} (or {@link Builder#otherwise}) gets the ring's reusable event of
 * that type over the private copy, read field by field on demand: <b>valid only during the call</b> — a handler
 * that keeps an event (or its registers) keeps {@link VmEvent#copy()}. One registered with {@link Builder#onView}
 * gets a {@link RequestView} of the same copy with raw field access. Neither allocates per event; figures against
 * xen-access's C loop are in docs/performance.md. Events without a handler are answered CONTINUE without being
 * looked at.
 *
 * <h2>Back-pressure</h2>
 * The ring has 8 slots (one 4 KiB page of 400-byte entries) and Xen answers strictly in ring order. A synchronous
 * event pauses its vCPU until its response is consumed, so a slow handler holds that vCPU. When the ring is full, a
 * vCPU raising an event sleeps in Xen until a slot frees; and after putting a request, Xen additionally parks the
 * raising vCPU whenever fewer free slots than the domain has vCPUs remain, so every vCPU can still post one event
 * (common/vm_event.c: vm_event_put_request / vm_event_mark_and_pause). A domain with more vCPUs than slots (e.g. 9)
 * therefore runs in lock-step with the handler. Handlers must be quick; everything heavier belongs on another
 * thread after the response has been decided.
 *
 * <h2>Start</h2>
 * {@link Builder#start()} keeps the domain paused from xc_monitor_enable until the ring page is initialised and the
 * settings are applied: restrictions made earlier (altp2m views, a previous session's accesses) fire as soon as the
 * ring exists, and a request Xen put before the consumer's SHARED_RING_INIT would be lost with its vCPU paused.
 *
 * <h2>Live watches</h2>
 * A running session takes new {@link Watch}es and drops them ({@link #add}, {@link LiveWatch#remove()}), from its
 * handlers and from other threads: a change from a handler is made before its response reaches Xen, one from another
 * thread falls between two drains of the ring; overlapping access watches intersect; the teardown undoes whatever is
 * still held. The builder's event and access methods are the same watches, held for the whole session.
 *
 * <h2>Teardown</h2>
 * {@link #close()} (also run when a handler throws, when the ring is found corrupt, and from a JVM shutdown hook on
 * SIGINT/SIGTERM) does, each step attempted even if an earlier one failed: pause the domain; disable every event
 * this session enabled and restore every access it changed; answer every pending request with CONTINUE, echoing
 * VCPU_PAUSED (and switching off single-stepping a handler turned on for that vCPU); notify and resume; disable the
 * ring (retrying while Xen reports vCPUs still waiting for a slot); unbind the channel; unpause. The order follows
 * the LibVMI/xen-access lessons (pause, drain, then disable: LibVMI #899, xen-access.c shutdown path).
 */
public final class MonitorSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorSession.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int DISABLE_ATTEMPTS = 50;

    private final Hypervisor hv;
    private final DomainId domain;
    /** Routes each request to its handler by reason; answers CONTINUE itself at teardown. */
    private final SessionDispatch dispatch;
    private final Deque<Undo> undo = new ArrayDeque<>();
    /** Every watch held (the builder's and those added live) and what it changed; undone at teardown. */
    private final LiveWatches watches;
    /**
     * Held while the ring is drained and answered (not while waiting for Xen): a change from another thread takes
     * it, so it falls between two drains and never between a handler's decision and its response reaching Xen.
     */
    private final java.util.concurrent.locks.ReentrantLock consumer = new java.util.concurrent.locks.ReentrantLock();
    private volatile int disableRetries;
    private final Object lifecycle = new Object();

    private final Duration teardownDeadline;

    private volatile MonitorRing monitorRing;
    /** The consumer; replaced by its successor when teardown takes the ring from a stuck handler. */
    private volatile VmEventRing ring;
    private volatile EventChannel channel;
    private volatile int port = -1;
    private volatile Thread thread;
    private Thread shutdownHook;
    private AutoCloseable closeHook;
    private volatile boolean stop;
    private static final java.lang.invoke.VarHandle STOP;
    static {
        try {
            STOP = java.lang.invoke.MethodHandles.lookup().findVarHandle(MonitorSession.class, "stop", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** The ring may be read; false once it is found corrupt (then only {@link VmEventRing#releaseEveryVcpu}). */
    private volatile boolean ringUsable;
    private volatile boolean ringCorrupt;
    private boolean tornDown;
    private Throwable failure;
    private boolean failureReported;
    /** Caller-driven mode ({@link Builder#startPolling}): no session thread; {@link #poll} drains. */
    private boolean polling;
    /** Held by {@link #poll} while it waits and drains, and by a close from another thread before it tears down. */
    private final java.util.concurrent.locks.ReentrantLock pollLock = new java.util.concurrent.locks.ReentrantLock();
    private volatile Thread poller;

    /** One thing to put back at teardown, with the C operation for the log. */
    private record Undo(String what, Runnable action) {}

    private MonitorSession(Builder b) {
        this.hv = b.hv;
        this.domain = b.domain;
        this.watches = new LiveWatches(hv, domain);
        this.teardownDeadline = b.teardownDeadline;
        this.dispatch = new SessionDispatch(b.routes(), b.typedRoutes(), new SessionDispatch.Owner() {
            @Override public boolean stopping() { return (boolean) STOP.getOpaque(MonitorSession.this); }

            @Override public void handlerFailed(MonitorSessionException e) {
                fail(e);
                stop = true;
            }
        });
    }

    /**
     * Starts describing a session.
     *
     * @param hv     the hypervisor (either backend)
     * @param domain the domain to monitor
     * @return a builder; nothing happens until {@link Builder#start()}
     */
    public static Builder builder(Hypervisor hv, DomainId domain) { return new Builder(hv, domain); }

    /** {@return the monitored domain} */
    public DomainId domain() { return domain; }

    /** {@return the number of events handed to handlers so far} */
    public long eventsHandled() { return dispatch.handled(); }

    /** {@return the number of requests answered by the teardown itself (CONTINUE), without reaching a handler} */
    public long answeredAtTeardown() { return dispatch.answeredAtTeardown(); }

    /**
     * Starts watching {@code w} while the session runs — from one of its handlers, or from any other thread — and
     * returns the handle that stops it ({@link LiveWatch#remove()}); the teardown undoes it if nobody did. An access
     * watch sets the rights of its gfns (xc_set_mem_access, or xc_altp2m_set_mem_access for a view), remembering what
     * each gfn had; where access watches of one p2m overlap, a gfn gets the intersection of their rights, so each
     * still traps what it asked for (rx2rw, n2rwx and r_pw combine only with themselves). An event kind is switched
     * on (its xc_monitor_* call) unless a watch already holds it.
     *
     * <p>Ordering: from a handler the change is made at once, before that handler's response reaches Xen (so a
     * handler can add a watch and let the vCPU go on under it, or remove one and let the vCPU retry its access
     * unwatched). From another thread it waits until the ring is not being drained, so it falls between two drains:
     * every response of the drain before it has reached Xen, every request of the drain after it is handled with the
     * change in force. A request raised before a removal may still arrive after it; it is handed to the handler and
     * answered like any other, exactly once.
     *
     * @param w what to watch
     * @return the live watch
     * @throws IllegalStateException the session is ending or has ended (nothing changed)
     * @throws IllegalArgumentException an event kind already held with other settings, or accesses that do not
     *         combine on a shared gfn (nothing changed)
     * @throws XenException from the calls made (nothing changed): e.g. EINVAL a gfn beyond the domain's max_gpfn or
     *         a view that is not active, EOPNOTSUPP an event kind this host cannot monitor or altp2m not active, ESRCH
     *         the domain is gone
     */
    public LiveWatch add(Watch w) {
        Objects.requireNonNull(w);
        return betweenDrains(true, () -> watches.add(this, w));
    }

    /** {@link LiveWatch#remove()}: after the session ended there is nothing to do (the teardown undid it). */
    void remove(LiveWatch lw) {
        betweenDrains(false, () -> {
            watches.remove(lw);
            return null;
        });
    }

    boolean isActive(LiveWatch lw) { return watches.isActive(lw); }

    /**
     * Runs a watch change where it cannot fall inside a drain: at once on the thread draining (a handler), else under
     * the consumer lock. A handler stuck past the teardown deadline keeps that lock: waiting ends when the session
     * stops (then an add is refused and a removal left to the teardown).
     */
    private <T> T betweenDrains(boolean adding, java.util.function.Supplier<T> change) {
        if (consumer.isHeldByCurrentThread()) {
            if (adding && stop) throw ending();
            return change.get();
        }
        while (!lock(consumer, Duration.ofMillis(20))) {
            if (stop) {
                if (adding) throw ending();
                return null;
            }
        }
        try {
            if (adding && stop) throw ending();
            return change.get();
        } finally {
            consumer.unlock();
        }
    }

    private IllegalStateException ending() {
        return new IllegalStateException("the vm_event session on " + domain + " is ending: no new watches");
    }

    /** How often teardown found vCPUs still waiting for a ring slot (EBUSY) and had to let them run once more. */
    int disableRetries() { return disableRetries; }

    /** {@return whether the session is still consuming events (its thread runs, or, polling, it is not closed)} */
    public boolean isRunning() {
        if (polling) return !stop;
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** {@return why the session ended by itself (handler exception, corrupt ring, teardown failure), if it did} */
    public Optional<Throwable> failure() {
        synchronized (lifecycle) { return Optional.ofNullable(failure); }
    }

    /**
     * Waits until the session has ended and torn down (by {@link #close()} or by itself).
     *
     * @param timeout the longest wait
     * @return whether it has ended
     * @throws InterruptedException the waiting thread was interrupted
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        Thread t = thread;
        if (t == null) return true;
        return t.join(timeout);
    }

    // ---------------------------------------------------------------------------------------------------------

    private MonitorSession open(Builder b, boolean threaded) {
        boolean paused = false;
        try {
            int version = hv.vmEventGetVersion();
            if (version != VmEventAbi.VERSION) throw new VmEventVersionException(VmEventAbi.VERSION, version);
            int vcpus = hv.domainGetinfo(domain).vcpus();
            // Xen initialises only its private ring indexes (vm_event.c:vm_event_enable) and xc_monitor_enable
            // unpauses the domain before returning: a request put before SHARED_RING_INIT below would be wiped from
            // req_prod, never answered, and its vCPU left paused even by the teardown. Access restrictions made
            // before this session (altp2m views, an earlier session's) fire as soon as the ring exists, so the guest
            // must not run until the ring is initialised; the settings are applied in the same pause.
            hv.domainPause(domain);
            paused = true;
            monitorRing = hv.monitorEnable(domain);
            channel = hv.eventChannelOpen();
            port = channel.bindInterdomain(domain, monitorRing.remotePort());
            ring = VmEventRing.attach(monitorRing, version, vcpus);
            ringUsable = true;
            for (Builder.Step s : b.steps) s.apply(this);
            paused = false;
            hv.domainUnpause(domain); // requests from here on stay on the ring until the thread drains them
        } catch (RuntimeException e) {
            failure = e;
            failureReported = true; // thrown right here
            teardown();
            if (paused) quietly(() -> hv.domainUnpause(domain));
            throw e;
        }
        polling = !threaded;
        if (threaded) thread = Thread.ofPlatform().name("vm_event " + domain).daemon(true).unstarted(this::run);
        // closing the hypervisor first must not strand the guest: its close tears this session down before the
        // handles go (the backend runs the hooks of every ring it enabled)
        closeHook = monitorRing.beforeHypervisorClose(this::closeQuietly);
        if (b.shutdownHook) {
            shutdownHook = new Thread(this::closeQuietly, "vm_event teardown " + domain);
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        if (threaded) thread.start();
        return this;
    }

    /**
     * The caller-driven loop of a session started with {@link Builder#startPolling()} (one thread, no session
     * thread): waits up to {@code timeout} for Xen's notification, then takes, handles and answers every request on
     * the ring, exactly as the session thread would. Returns how many requests handlers answered in this call, or -1
     * once the session has ended (closed, a handler failed, the domain went away) — it is torn down by then.
     *
     * @param timeout how long to wait for a notification when the ring is empty
     * @return the requests handlers answered in this call, or -1 once the session has ended
     * @throws IllegalStateException the session runs its own thread ({@link Builder#start()})
     * @throws MonitorSessionException (once) the session failed; it has been torn down
     */
    public int poll(Duration timeout) {
        if (!polling) throw new IllegalStateException("this session runs its own thread: use start() or poll, not both");
        pollLock.lock();
        try {
            if (tornDown) return -1;
            long before = dispatch.handled();
            poller = Thread.currentThread();
            try {
                if (!stop) {
                    OptionalInt p = channel.waitPending(timeout);
                    if (p.isPresent()) channel.unmask(p.getAsInt());
                    drain(false);
                }
            } catch (Throwable t) {
                if (domainGone()) LOG.info("{} went away under its vm_event session", domain);
                else fail(t);
                stop = true;
            } finally {
                poller = null;
            }
            if (!stop) return (int) (dispatch.handled() - before);
        } finally {
            pollLock.unlock();
        }
        close();   // a handler called close(), or the session failed: tear down here, report a failure once
        return -1;
    }

    private void run() {
        try {
            while (!stop) {
                OptionalInt p = channel.waitPending(POLL);
                if (p.isPresent()) channel.unmask(p.getAsInt());
                drain(false); // also on timeout: never rely on a notification alone
            }
        } catch (Throwable t) {
            if (domainGone()) LOG.info("{} went away under its vm_event session", domain);
            else fail(t);
        } finally {
            teardown();
        }
    }

    /** The domain is dying or destroyed: its ring is being (or was) unmapped by Xen, nothing of it is ours to fix. */
    private boolean domainGone() {
        try {
            return hv.domainGetinfo(domain).dying();
        } catch (XenException e) {
            return e.errno() == Errno.ESRCH;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Takes every request on the ring, answers it, pushes and notifies; at teardown answers CONTINUE itself. Runs on
     * {@link VmEventRing#drain}: each request is copied into the ring's private buffer and checked there (header,
     * and the payload enumerations a typed event would reject), and typed handlers get the ring's reusable {@link VmEvent}
     * of the reason's type over that buffer — no path allocates per event.
     */
    private void drain(boolean teardown) {
        if (!teardown) {
            // between drains only: a watch changed from another thread waits for the responses to reach Xen
            consumer.lock();
            try {
                takeAll(false);
            } finally {
                consumer.unlock();
            }
        } else {
            takeAll(true); // a stuck handler may hold the lock; the watch table refuses changes by now
        }
    }

    private void takeAll(boolean teardown) {
        VmEventRing r = ring; // teardown may replace it (takeOver) while a stuck handler runs on the old one
        if (!ringUsable || r == null) return;
        if (teardown) dispatch.answering = true;
        try {
            dispatch.drain(r);
        } catch (RingCorruptException e) {
            if (e.consumed()) r.acknowledge(e);
            ringCorrupt = true;
            ringUsable = false; // never read this page again; teardown releases every vCPU without reading it
            fail(e);
            stop = true;
        } finally {
            if (r.pushResponses()) channel.notify(port);
        }
    }

    /**
     * A corrupt ring cannot be read, but every vCPU waiting on it can still be released: one CONTINUE + VCPU_PAUSED
     * per vCPU (switching off single-stepping a handler turned on), resumed batch by batch; Xen ignores the
     * responses for vCPUs that were not waiting (vm_event.c:vm_event_resume).
     */
    private void releaseFromCorruptRing() {
        VmEventRing r = ring;
        if (!ringCorrupt || r == null || monitorRing == null) return;
        step("releasing the vCPUs of a corrupt ring", () -> r.releaseEveryVcpu(
                v -> dispatch.stepping(v) ? VmEventAbi.FLAG_TOGGLE_SINGLESTEP : 0, () -> hv.monitorResume(domain)));
        dispatch.clearStepping();
    }

    private void fail(Throwable t) {
        synchronized (lifecycle) {
            if (failure == null) failure = t;
            else if (failure != t) failure.addSuppressed(t);
        }
        LOG.warn("vm_event session on {} failed: {}", domain, t.toString());
    }

    /**
     * Pauses, drains and answers, disables events and the ring, restores access, unbinds, unpauses; idempotent. Runs
     * on the session thread (or the opening thread when opening failed); every step is attempted.
     */
    private void teardown() {
        synchronized (lifecycle) {
            if (tornDown) return;
            tornDown = true;
        }
        tearDownNow();
    }

    /** The teardown itself, by whichever thread set {@code tornDown}. */
    private void tearDownNow() {
        stop = true;
        if (domainGone()) {
            // nothing left to release: drop our side (the mapping, the channel) and ignore what fails
            ringUsable = false;
            ring = null;
            watches.forget();
            if (monitorRing != null) quietly(() -> hv.monitorDisable(domain));
            monitorRing = null;
            if (channel != null) {
                if (port >= 0) quietly(() -> channel.unbind(port));
                quietly(channel::close);
            }
            removeShutdownHook();
            removeCloseHook();
            return;
        }
        boolean paused = step("xc_domain_pause", () -> hv.domainPause(domain));
        // 1. nothing new from here: events off, access restored (a CONTINUEd access retries against the old rights);
        //    the watch table refuses changes from now on, from handlers and other threads alike
        watches.closeAll(this::step);
        List<Undo> todo = new ArrayList<>(undo);
        for (Undo u : todo) step(u.what(), u.action());
        if (monitorRing != null) {
            // 2. answer everything, then 3. disable the ring; EBUSY = vCPUs still waiting for a slot
            boolean disabled = false;
            for (int attempt = 0; attempt < DISABLE_ATTEMPTS && !disabled; attempt++) {
                try {
                    drain(true);
                } catch (RuntimeException e) {
                    fail(e);
                }
                releaseFromCorruptRing();
                if (ringUsable) step("xc_monitor_resume", () -> hv.monitorResume(domain));
                try {
                    hv.monitorDisable(domain);
                    disabled = true;
                } catch (XenException e) {
                    if (e.errno() != Errno.EBUSY) {
                        if (e.errno() != Errno.ESRCH) fail(e);
                        break;
                    }
                    // let the waiting vCPUs post their requests, then answer them
                    disableRetries++;
                    if (paused) step("xc_domain_unpause", () -> hv.domainUnpause(domain));
                    if (channel != null) channel.waitPending(Duration.ofMillis(10)).ifPresent(channel::unmask);
                    try {
                        drain(true);
                    } catch (RuntimeException x) {
                        fail(x);
                    }
                    releaseFromCorruptRing();
                    paused = step("xc_domain_pause", () -> hv.domainPause(domain));
                }
            }
            if (!disabled) LOG.warn("could not disable the monitor ring of {}", domain);
            ringUsable = false;
            ring = null;
            monitorRing = null;
        }
        if (channel != null) {
            if (port >= 0) step("xenevtchn_unbind", () -> channel.unbind(port));
            step("xenevtchn_close", channel::close);
        }
        if (paused) step("xc_domain_unpause", () -> hv.domainUnpause(domain));
        removeShutdownHook();
        removeCloseHook();
        LOG.debug("vm_event session on {} torn down: {} events handled, {} answered at teardown", domain,
                dispatch.handled(), dispatch.answeredAtTeardown());
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException ignored) {
            // the domain is gone; so is whatever this would have undone
        }
    }

    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to; it will find the session torn down
            }
        }
    }

    private void removeCloseHook() {
        AutoCloseable h = closeHook;
        closeHook = null;
        if (h != null) {
            try {
                h.close();
            } catch (Exception ignored) {
                // the hypervisor is closing and runs it now; the session is already torn down
            }
        }
    }

    /** For the hypervisor's close and the shutdown hook: tear down, never throw (the failure stays readable). */
    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warn("vm_event session on {} ended with: {}", domain, e.toString());
        }
    }

    /** Runs one teardown step; failures are recorded (a vanished domain is not a failure) and never stop the rest. */
    private boolean step(String what, Runnable action) {
        try {
            action.run();
            return true;
        } catch (XenException e) {
            if (e.errno() != Errno.ESRCH) fail(e);
            return false;
        } catch (RuntimeException e) {
            fail(new MonitorSessionException(what + " failed during teardown", e));
            return false;
        }
    }

    /**
     * Ends the session and tears it down (see the class comment), waiting at most the teardown deadline
     * ({@link Builder#teardownDeadline}, default 10 s) for a running handler. Past it the ring is taken from the
     * handler ({@link VmEventRing#takeOver}) and the teardown runs on this thread without it: the request the handler
     * holds is answered CONTINUE with the rest, and the handler's answer, if it ever returns, is dropped. So neither
     * a blocked nor a spinning handler can keep the guest paused. From a handler it only asks the session to stop;
     * the teardown runs once the handler returns. Idempotent.
     *
     * @throws MonitorSessionException (once) if the session failed — a handler threw or missed the deadline, the ring
     *         was corrupt, a teardown step failed — after the teardown has completed
     */
    @Override
    public void close() {
        stop = true;
        Thread t = thread;
        if (t != null && t == Thread.currentThread()) return;
        if (polling && poller == Thread.currentThread()) return;   // from a handler inside poll: poll tears down
        if (polling) {
            wakeup();   // a poll waiting on another thread returns at once
            // never tear down under a drain in progress; past each deadline a handler still running loses the ring
            boolean locked;
            while (!(locked = lock(pollLock, teardownDeadline))) {
                if (takeOverFromHandler()) break;
            }
            if (locked) {
                try {
                    teardown();
                } finally {
                    pollLock.unlock();
                }
            }
        } else if (t != null) {
            wakeup();
            // past each deadline: a handler still running loses the ring; a session thread busy elsewhere (its own
            // teardown, a slow host) is waited for
            while (!join(t, teardownDeadline)) {
                if (takeOverFromHandler()) break;
            }
        } else {
            teardown();
        }
        synchronized (lifecycle) {
            if (failure != null && !failureReported && Thread.currentThread() != shutdownHook) {
                failureReported = true;
                throw failure instanceof MonitorSessionException m ? m
                        : new MonitorSessionException("vm_event session on " + domain + " failed", failure);
            }
        }
    }

    private void wakeup() {
        EventChannel c = channel;
        if (c == null) return;
        try {
            c.wakeup();
        } catch (RuntimeException ignored) {
            // the thread polls with a timeout anyway
        }
    }

    /**
     * Past the teardown deadline: if a handler is running right now, take the ring from it and tear down on this
     * thread (the handler's answer, if it ever comes, is dropped). False if no handler holds a request (the session
     * thread or poller is busy elsewhere and will be waited for again).
     */
    private boolean takeOverFromHandler() {
        synchronized (lifecycle) {
            if (tornDown) return false;
            VmEventRing r = ring, successor = r == null ? null : r.takeOverFromHandler();
            if (successor == null) return false;
            tornDown = true; // ours from here: the session thread or poller, when it returns, finds it done
            ring = successor;
        }
        fail(new MonitorSessionException("a handler of the vm_event session on " + domain
                + " did not return within " + teardownDeadline.toMillis() + " ms: torn down without it"
                + " (its answer, if it comes, is dropped)", null));
        tearDownNow();
        return true;
    }

    /** A wait bounded by a number of nanoseconds, as Lock.tryLock and Thread.join offer it. */
    private interface BoundedWait {
        boolean await(long nanos) throws InterruptedException;
    }

    /** Locks {@code l} within {@code d}; an interrupt is kept for the caller. */
    private static boolean lock(java.util.concurrent.locks.Lock l, Duration d) {
        return within(d, n -> l.tryLock(n, java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    /** Joins {@code t} for at most {@code d}; an interrupt is kept for the caller. */
    private static boolean join(Thread t, Duration d) {
        // Thread.join(Duration) refuses a thread never started; one not alive has nothing to wait for
        return within(d, n -> !t.isAlive() || t.join(Duration.ofNanos(n)));
    }

    /**
     * Runs {@code wait} with what is left of {@code d}, again after each interrupt (the last try has no time left and
     * only asks), and keeps the interrupt for the caller: a teardown must not be cut short by one.
     */
    private static boolean within(Duration d, BoundedWait wait) {
        long end = System.nanoTime() + d.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return wait.await(Math.max(0, end - System.nanoTime()));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    // ---- enabling, each with its undo ---------------------------------------------------------------------------

    /** A builder's watch, held for the whole session (applied while the domain is paused at open). */
    private void hold(Watch w) { watches.add(this, w); }

    private void setDefaultAccess(MemAccess access) {
        MemAccess old = hv.getMemAccess(domain, Gfn.INVALID);
        hv.setMemAccess(domain, access, Gfn.INVALID, 0);
        undo.push(new Undo("xc_set_mem_access", () -> hv.setMemAccess(domain, old, Gfn.INVALID, 0)));
    }

    /** The VM_EVENT_REASON_* values {@link VmEventRing} decodes into {@code type}. */
    static int[] reasonsOf(Class<? extends VmEvent> type) {
        if (type == VmEvent.MemAccess.class) return new int[]{VmEventAbi.REASON_MEM_ACCESS};
        if (type == VmEvent.MemSharing.class) return new int[]{VmEventAbi.REASON_MEM_SHARING};
        if (type == VmEvent.WriteCtrlreg.class) return new int[]{VmEventAbi.REASON_WRITE_CTRLREG};
        if (type == VmEvent.MovToMsr.class) return new int[]{VmEventAbi.REASON_MOV_TO_MSR};
        if (type == VmEvent.SoftwareBreakpoint.class) return new int[]{VmEventAbi.REASON_SOFTWARE_BREAKPOINT};
        if (type == VmEvent.Singlestep.class) return new int[]{VmEventAbi.REASON_SINGLESTEP};
        if (type == VmEvent.GuestRequest.class) return new int[]{VmEventAbi.REASON_GUEST_REQUEST};
        if (type == VmEvent.DebugException.class) return new int[]{VmEventAbi.REASON_DEBUG_EXCEPTION};
        if (type == VmEvent.Cpuid.class) return new int[]{VmEventAbi.REASON_CPUID};
        if (type == VmEvent.Interrupt.class) return new int[]{VmEventAbi.REASON_INTERRUPT};
        if (type == VmEvent.DescriptorAccess.class) return new int[]{VmEventAbi.REASON_DESCRIPTOR_ACCESS};
        if (type == VmEvent.EmulUnimplemented.class) return new int[]{VmEventAbi.REASON_EMUL_UNIMPLEMENTED};
        if (type == VmEvent.Vmexit.class) return new int[]{VmEventAbi.REASON_VMEXIT};
        if (type == VmEvent.IoInstruction.class) return new int[]{VmEventAbi.REASON_IO_INSTRUCTION};
        if (type == VmEvent.Unknown.class)
            return new int[]{VmEventAbi.REASON_UNKNOWN, VmEventAbi.REASON_MEM_PAGING, VmEventAbi.REASON_PRIVILEGED_CALL};
        throw new IllegalArgumentException("not one of VmEvent's types: " + type);
    }

    /** Chooses the events, the access settings and the handlers, then {@link #start()}s the session. */
    public static final class Builder {
        @FunctionalInterface private interface Step { void apply(MonitorSession s); }

        private final Hypervisor hv;
        private final DomainId domain;
        private final List<Step> steps = new ArrayList<>();
        private final Map<Class<? extends VmEvent>, VmEventRing.Handler> handlers = new HashMap<>();
        private final Map<Class<? extends VmEvent>, Function<VmEvent, VmEventResponse>> typed = new HashMap<>();
        private VmEventHandler fallback;
        private boolean shutdownHook = true;
        private Duration teardownDeadline = Duration.ofSeconds(10);

        private Builder(Hypervisor hv, DomainId domain) {
            this.hv = Objects.requireNonNull(hv);
            this.domain = Objects.requireNonNull(domain);
        }

        /** {@return the domain the session will monitor (for code that adds events per domain, e.g. a customizer)} */
        public DomainId domain() { return domain; }

        /**
         * Sets {@code access} on gfns [first, first + nr) with xc_set_mem_access (the ring is enabled first, as Xen
         * requires); the previous access of each is restored on close.
         *
         * @param first  the first gfn
         * @param nr     how many gfns, at least 1
         * @param access the access, not {@link MemAccess#DEFAULT}
         * @return this builder
         * @throws IllegalArgumentException {@code nr} below 1 or {@link MemAccess#DEFAULT}
         */
        public Builder memAccess(Gfn first, long nr, MemAccess access) {
            return watch(Watch.access(first, nr, access));
        }

        /**
         * Sets the domain's default access (xc_set_mem_access on INVALID_GFN: new and unset gfns); restored on close.
         *
         * @param access the default access
         * @return this builder
         */
        public Builder defaultAccess(MemAccess access) {
            steps.add(s -> s.setDefaultAccess(access));
            return this;
        }

        /**
         * SINGLESTEP events (xc_monitor_singlestep), switched off again on close.
         *
         * @return this builder
         */
        public Builder singlestep() {
            return watch(Watch.singlestep());
        }

        /**
         * SOFTWARE_BREAKPOINT events (xc_monitor_software_breakpoint), switched off again on close.
         *
         * @return this builder
         */
        public Builder softwareBreakpoint() {
            return watch(Watch.softwareBreakpoint());
        }

        /**
         * CPUID events (xc_monitor_cpuid), switched off again on close.
         *
         * @return this builder
         */
        public Builder cpuid() {
            return watch(Watch.cpuid());
        }

        /**
         * WRITE_CTRLREG events for CR0/CR3/CR4/XCR0 writes (xc_monitor_write_ctrlreg), switched off on close.
         *
         * @param reg          the register
         * @param sync         pause the vCPU until the response (which may DENY the write)
         * @param ignoredBits  bits whose changes alone raise no event
         * @param onChangeOnly only writes that change the value
         * @return this builder
         */
        public Builder writeCtrlreg(ControlRegister reg, boolean sync, long ignoredBits, boolean onChangeOnly) {
            return watch(Watch.writeCtrlreg(reg, sync, ignoredBits, onChangeOnly));
        }

        /**
         * MOV_TO_MSR events for one MSR (xc_monitor_mov_to_msr), switched off on close.
         *
         * @param msr          the MSR
         * @param onChangeOnly only writes that change the value
         * @return this builder
         */
        public Builder movToMsr(int msr, boolean onChangeOnly) {
            return watch(Watch.movToMsr(msr, onChangeOnly));
        }

        /**
         * DEBUG_EXCEPTION events (xc_monitor_debug_exceptions), switched off on close.
         *
         * @param sync pause the vCPU until the response
         * @return this builder
         */
        public Builder debugExceptions(boolean sync) {
            return watch(Watch.debugExceptions(sync));
        }

        /**
         * DESCRIPTOR_ACCESS events (xc_monitor_descriptor_access), switched off again on close.
         *
         * @return this builder
         */
        public Builder descriptorAccess() {
            return watch(Watch.descriptorAccess());
        }

        /**
         * GUEST_REQUEST events (xc_monitor_guest_request), switched off on close.
         *
         * @param sync           pause the vCPU until the response
         * @param allowUserspace accept requests from guest user mode too
         * @return this builder
         */
        public Builder guestRequest(boolean sync, boolean allowUserspace) {
            return watch(Watch.guestRequest(sync, allowUserspace));
        }

        /**
         * EMUL_UNIMPLEMENTED events (xc_monitor_emul_unimplemented), switched off again on close.
         *
         * @return this builder
         */
        public Builder emulUnimplemented() {
            return watch(Watch.emulUnimplemented());
        }

        /**
         * Suppresses mem_access events raised by the guest's own page-table walks (xc_monitor_inguest_pagefault),
         * switched off on close.
         *
         * @return this builder
         */
        public Builder suppressInguestPagefaults() {
            return watch(Watch.suppressInguestPagefaults());
        }

        /**
         * VMEXIT events (xc_monitor_vmexit), switched off on close.
         *
         * @param sync pause the vCPU until the response
         * @return this builder
         */
        public Builder vmexit(boolean sync) {
            return watch(Watch.vmexit(sync));
        }

        /**
         * Holds a watch for the whole session: applied at start, while the domain is still paused, and undone on
         * close, like the methods above (which are these watches). Overlapping access watches combine as
         * {@link MonitorSession#add} describes.
         *
         * @param w the watch
         * @return this builder
         */
        public Builder watch(Watch w) {
            Objects.requireNonNull(w);
            steps.add(s -> s.hold(w));
            return this;
        }

        /**
         * The handler for one kind of event (replaces an earlier one for that kind). It receives the ring's reusable
         * event of that type, over the session's private copy of the request: nothing is allocated per event, and
         * the event (with its {@link VmEvent#regs()}) is valid only during the call — keep {@link VmEvent#copy()}
         * to use it later. The session calls each kind's handler from a call site of its own, so the JIT can inline
         * it.
         *
         * @param <T>     the event type
         * @param type    the event class, e.g. {@code VmEvent.Cpuid.class}
         * @param handler decides the response; null means CONTINUE
         * @return this builder
         * @throws IllegalArgumentException a class that is not one of {@link VmEvent}'s types
         */
        public <T extends VmEvent> Builder on(Class<T> type, Function<? super T, VmEventResponse> handler) {
            Objects.requireNonNull(handler);
            reasonsOf(type);
            handlers.remove(type);
            @SuppressWarnings("unchecked") // dispatch passes this handler only records of type T (reasonsOf(type))
            Function<VmEvent, VmEventResponse> h = (Function<VmEvent, VmEventResponse>) handler;
            typed.put(type, h);
            return this;
        }

        /**
         * The handler for one kind of event, given a {@link RequestView} of the session's private copy of the request
         * instead of a typed event: nothing is decoded or allocated unless it calls {@link RequestView#event()}. The
         * view is valid only during the call. Replaces an earlier handler for that kind, typed or not.
         *
         * @param type    the event class of the kind
         * @param handler decides the response; null means CONTINUE
         * @return this builder
         * @throws IllegalArgumentException a class that is not one of {@link VmEvent}'s types
         */
        public Builder onView(Class<? extends VmEvent> type, VmEventRing.Handler handler) {
            Objects.requireNonNull(handler);
            reasonsOf(type);
            typed.remove(type);
            handlers.put(type, handler);
            return this;
        }

        /** The handler of each reason, as {@link SessionDispatch} takes them. */
        VmEventRing.Handler[] routes() {
            VmEventHandler f = fallback;
            VmEventRing.Handler[] r = SessionDispatch.everyReason(f == null ? null : v -> f.handle(v.typed()));
            handlers.forEach((type, h) -> {
                for (int reason : reasonsOf(type)) r[reason] = h;
            });
            return r;
        }

        /** The typed handler of each reason (null: see {@link #routes()}). */
        Function<VmEvent, VmEventResponse>[] typedRoutes() {
            Function<VmEvent, VmEventResponse>[] t = SessionDispatch.noTyped();
            typed.forEach((type, h) -> {
                for (int reason : reasonsOf(type)) t[reason] = h;
            });
            return t;
        }

        /**
         * The handler for every kind without its own; without one, such events are answered CONTINUE.
         *
         * @param handler decides the response
         * @return this builder
         */
        public Builder otherwise(VmEventHandler handler) {
            this.fallback = Objects.requireNonNull(handler);
            return this;
        }

        /**
         * Whether a JVM shutdown hook tears the session down (default on: SIGINT must not leave a guest paused).
         *
         * @param on install the hook
         * @return this builder
         */
        public Builder shutdownHook(boolean on) {
            this.shutdownHook = on;
            return this;
        }

        /**
         * How long {@link MonitorSession#close()} (and the shutdown hook) waits for a running handler before it tears
         * down without it (default 10 s: a handler starved of CPU on a loaded host is not cut off). Must be positive.
         *
         * @param d the deadline
         * @return this builder
         */
        public Builder teardownDeadline(Duration d) {
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("the deadline must be positive");
            this.teardownDeadline = d;
            return this;
        }

        /**
         * Enables the ring (checking the vm_event version first), binds the channel, applies the settings in the order
         * given and starts the session thread. If any step fails, what was done is undone and the error thrown.
         *
         * @return the running session; close it to tear down
         * @throws VmEventVersionException the hypervisor's vm_event version is not 7
         * @throws XenException from the calls made: e.g. EBUSY a monitor ring is already enabled on the domain,
         *                      EOPNOTSUPP an event this host cannot monitor, EINVAL an MSR outside the monitorable
         *                      ranges (see {@link Hypervisor}'s methods)
         */
        public MonitorSession start() {
            return new MonitorSession(this).open(this, true);
        }

        /**
         * Like {@link #start()}, but without a session thread: the caller drives the session with
         * {@link MonitorSession#poll(Duration)} from its own loop (handlers run on the calling thread), as tools
         * built around {@code vmi_events_listen(vmi, timeout)} do. {@link MonitorSession#close()} tears it down with
         * the same guarantees (from a handler it only asks to stop; poll then tears down).
         *
         * @return the open session, driven by {@link MonitorSession#poll(Duration)}; close it to tear down
         * @throws VmEventVersionException the hypervisor's vm_event version is not 7
         * @throws XenException from the calls made, as for {@link #start()}
         */
        public MonitorSession startPolling() {
            return new MonitorSession(this).open(this, false);
        }
    }
}
