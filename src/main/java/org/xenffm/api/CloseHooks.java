// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What must run before a {@link Hypervisor} handle closes: a backend keeps one, hands it out with every
 * {@link MonitorRing} it enables, and runs it first thing in {@link Hypervisor#close()}, while every call still
 * works. A vm_event consumer registers its teardown here, so closing the handle under a running session releases the
 * guest (answers, restores, disables, unpauses) instead of leaving every waiting vCPU paused.
 */
public final class CloseHooks {
    private final Set<Runnable> hooks = new LinkedHashSet<>();

    /** An empty set of hooks (a backend makes one per handle). */
    public CloseHooks() {}

    /**
     * Registers {@code hook}; closing the returned registration removes it (a consumer that tore down by itself).
     * Hooks run in registration order, each once.
     *
     * @param hook what to run before the handle closes
     * @return the registration
     */
    public AutoCloseable add(Runnable hook) {
        synchronized (hooks) {
            hooks.add(hook);
        }
        return () -> {
            synchronized (hooks) {
                hooks.remove(hook);
            }
        };
    }

    /** For backends, at the start of close(): runs and removes every hook; a hook that throws does not stop the rest. */
    public void runAll() {
        List<Runnable> todo;
        synchronized (hooks) {
            todo = new ArrayList<>(hooks);
            hooks.clear();
        }
        for (Runnable r : todo) {
            try {
                r.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(CloseHooks.class).warn("before closing the hypervisor: {}",
                        e.toString());
            }
        }
    }
}
