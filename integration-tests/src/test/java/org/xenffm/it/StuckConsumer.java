// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.MonitorSessionException;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;

/**
 * A vm_event consumer whose handler never returns, watching writes to one gfn (access r) of a guest, that the
 * scenario then stops the way an operator does: SIGTERM. On real Xen it is a separate dom0 JVM
 * ({@link StuckConsumer.Child}), so the signal, the JVM's shutdown hooks and the session's deadline teardown are the
 * real ones; on the emulator, whose hypervisor lives in this JVM, it is a session here, and the "signal" runs what
 * that session's shutdown hook runs ({@link MonitorSession#close()} from another thread).
 */
interface StuckConsumer extends AutoCloseable {
    /** How long the consumer's teardown waits for the stuck handler before it tears down without it. */
    Duration DEADLINE = Duration.ofSeconds(2);

    /** How long the consumer JVM may take to start and enable its ring. */
    Duration STARTUP = Duration.ofMinutes(3);

    /** Whether the handler holds a request (the guest's write) within {@code timeout}; ticks the guest meanwhile. */
    boolean awaitHeld(GuestDriver g, Duration timeout) throws Exception;

    /** Sends SIGTERM (or its equivalent) and waits for the consumer to end; whether it ended within the timeout. */
    boolean terminate(Duration timeout) throws InterruptedException;

    @Override void close();

    /** On the emulator: a session in this JVM. */
    static StuckConsumer inProcess(Hypervisor hv, DomainId d, Gfn gfn) {
        CountDownLatch held = new CountDownLatch(1), never = new CountDownLatch(1);
        MonitorSession s = MonitorSession.builder(hv, d).shutdownHook(false).teardownDeadline(DEADLINE)
                .memAccess(gfn, 1, MemAccess.R)
                .on(VmEvent.MemAccess.class, e -> {
                    held.countDown();
                    awaitQuietly(never);
                    return VmEventResponse.CONTINUE;
                }).start();
        return new StuckConsumer() {
            @Override public boolean awaitHeld(GuestDriver g, Duration timeout) throws InterruptedException {
                long end = System.nanoTime() + timeout.toNanos();
                while (!held.await(1, TimeUnit.MILLISECONDS)) {
                    if (System.nanoTime() > end) return false;
                    g.tick();
                }
                return true;
            }

            @Override public boolean terminate(Duration timeout) throws InterruptedException {
                Thread hook = Thread.ofPlatform().start(() -> { // what the shutdown hook does on SIGTERM
                    try {
                        s.close();
                    } catch (MonitorSessionException expected) {
                        // "did not return within": the hook logs it and the JVM exits
                    }
                });
                return hook.join(timeout);
            }

            @Override public void close() { never.countDown(); }
        };
    }

    /** On real Xen: {@link Child} in a JVM of its own, started like the scenario runner. */
    static StuckConsumer childJvm(DomainId d, Gfn gfn) throws Exception {
        String jvm = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(jvm, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), Integer.toString(d.value()), Long.toString(gfn.value())))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        // log lines (SLF4J, libxc) may come first; a JVM start under Bochs takes tens of seconds, never minutes
        var started = java.util.concurrent.CompletableFuture.supplyAsync(() -> untilLine(out, "STARTED"));
        String seen;
        try {
            seen = started.get(STARTUP.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            seen = "nothing within " + STARTUP;
        }
        if (seen != null) {
            p.destroyForcibly();
            throw new IllegalStateException("the consumer JVM did not start: " + seen);
        }
        return new StuckConsumer() {
            @Override public boolean awaitHeld(GuestDriver g, Duration timeout) throws Exception {
                var held = java.util.concurrent.CompletableFuture.supplyAsync(() -> untilLine(out, "HELD") == null);
                try {
                    return held.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    return false;
                }
            }

            @Override public boolean terminate(Duration timeout) throws InterruptedException {
                p.destroy(); // SIGTERM
                return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }

            @Override public void close() { p.destroyForcibly(); }
        };
    }

    /** Reads up to the line {@code want}: null when it came, else what was read before the stream ended. */
    private static String untilLine(BufferedReader out, String want) {
        StringBuilder before = new StringBuilder();
        try {
            for (String l; (l = out.readLine()) != null; ) {
                if (l.equals(want)) return null;
                before.append(l).append('\n');
            }
        } catch (java.io.IOException e) {
            before.append(e);
        }
        return before.isEmpty() ? "(no output)" : before.toString();
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The consumer JVM: {@code DOMID GFN}. Sets the gfn to r, prints STARTED, and on the first write event prints
     * HELD and never answers. The session's own shutdown hook (default on) is what SIGTERM runs.
     */
    final class Child {
        private Child() {}

        public static void main(String[] args) throws Exception {
            Hypervisor hv = new org.xenffm.xen.XenHypervisor();
            CountDownLatch never = new CountDownLatch(1);
            MonitorSession.builder(hv, DomainId.of(Integer.parseInt(args[0]))).teardownDeadline(DEADLINE)
                    .memAccess(Gfn.of(Long.parseLong(args[1])), 1, MemAccess.R)
                    .on(VmEvent.MemAccess.class, e -> {
                        System.out.println("HELD");
                        System.out.flush();
                        awaitQuietly(never);
                        return VmEventResponse.CONTINUE;
                    }).start();
            System.out.println("STARTED");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
