// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/** A handler that never returns until {@link #release()}: the attacker of the deadline teardown tests. */
final class StuckHandler<T extends VmEvent> implements Function<T, VmEventResponse> {
    final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    volatile Thread thread;

    @Override public VmEventResponse apply(T e) {
        thread = Thread.currentThread();
        entered.countDown();
        try {
            released.await();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        }
        return VmEventResponse.CONTINUE;
    }

    /** Lets the handler return (its answer is then dropped if the ring was taken from it). */
    void release() { released.countDown(); }
}
