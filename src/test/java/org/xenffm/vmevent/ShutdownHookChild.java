// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM by {@link ShutdownHookTest}: a busy 4-vCPU monitor session that is never closed by the program;
 * after SIGINT the JVM's shutdown hooks run, and this prints what the guest was left with.
 */
public final class ShutdownHookChild {
    public static void main(String[] args) throws Exception {
        RingXen xen = new RingXen(4);
        CountDownLatch busy = new CountDownLatch(100);
        MonitorSession s = MonitorSession.builder(xen.hypervisor(), RingXen.DOM).cpuid()
                .on(VmEvent.Cpuid.class, e -> {
                    busy.countDown();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    return VmEventResponse.CONTINUE;
                }).start();
        for (int v = 0; v < 4; v++) {
            int vcpu = v;
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    for (int i = 0; ; i++) xen.cpuid(vcpu, i);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                boolean ended = s.awaitTermination(Duration.ofSeconds(20));
                System.out.println("ENDED=" + ended + " HELD=[" + xen.heldState() + "] RING=" + xen.ringEnabled
                        + " MONITORS=" + xen.monitors + " BOUND=" + xen.channel.bound() + " PUT=" + xen.requestsPut
                        + " ANSWERED=" + xen.responsesProcessed);
                System.out.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        busy.await();
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
