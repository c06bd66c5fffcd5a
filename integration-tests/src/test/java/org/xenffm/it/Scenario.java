// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.util.ArrayList;
import java.util.List;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenVersion;

/**
 * One scenario of docs/xen-semantics.md §8, written once against {@link Hypervisor} and {@link GuestDriver}. The group
 * says which Bochs boot runs it: "panic" scenarios crash real Xen 4.17.5 and so run alone, last.
 */
public record Scenario(String name, String group, String summary, Body body) {
    /**
     * The Xen the suite runs against, as far as the expectations depend on it: the release (from xc_version) and
     * whether the hypervisor was built with CONFIG_MEM_SHARING (Xen cannot be asked; the harness reads the
     * hypervisor's build config and tells both backends). Debian's own builds of 4.17 and 4.20 leave it out.
     */
    public record Target(XenVersion version, boolean memSharing) {
        /** ≥ 4.19: the puppet is created with xl's altp2m="external" and HVM_PARAM_ALTP2M is read-only. */
        public boolean altp2mAtCreation() { return version.altp2mAtCreation(); }

        @Override public String toString() { return "xen " + version + (memSharing ? " mem_sharing" : " no-mem_sharing"); }
    }

    /** Ends a scenario whose remaining steps cannot apply to this Xen; reported as N/A with the reason. */
    public static final class NotApplicable extends RuntimeException {
        public NotApplicable(String reason) { super(reason); }
    }

    /** Why the sharing half of a scenario is N/A without CONFIG_MEM_SHARING (x86_64/mm.c: XENMEM_sharing_op is
     *  compiled out, and so is domctl.c's XEN_DOMCTL_mem_sharing_op case: both fall to -ENOSYS). */
    public static final String NO_MEM_SHARING = "Xen built without CONFIG_MEM_SHARING: every sharing call is ENOSYS";

    @FunctionalInterface
    public interface Body {
        void run(Ctx ctx) throws Exception;
    }

    /** What a scenario gets: the hypervisor, a guest factory, its recorder; and it tidies up what it created. */
    public static final class Ctx implements AutoCloseable {
        public final Hypervisor hv;
        public final Recorder rec;
        public final Target target;
        private final GuestDriver.Factory guests;
        private final List<AutoCloseable> cleanup = new ArrayList<>();
        private int guestCount;

        private final ConsoleLines console;

        Ctx(Hypervisor hv, Target target, GuestDriver.Factory guests, Recorder rec, ConsoleLines console) {
            this.hv = hv;
            this.target = target;
            this.guests = guests;
            this.rec = rec;
            this.console = console;
        }

        /** A fresh paused guest with {@code vcpus} vCPUs, destroyed when the scenario ends. What building it made
         *  Xen print is left out of the scenario's console lines (no step caused it). */
        public GuestDriver guest(int vcpus) {
            console.collect();
            GuestDriver g = guests.create(rec.scenario().replaceAll("[^a-z0-9]", "") + "g" + (++guestCount), vcpus);
            console.discard();
            cleanup.add(g);
            return g;
        }

        /** The outcome a sharing call has on a mem_sharing build; ENOSYS on a build without it. */
        public String sharing(String withMemSharing) { return target.memSharing() ? withMemSharing : "ENOSYS"; }

        /** Placed right after a scenario's first (recorded, checked) sharing call: without CONFIG_MEM_SHARING the
         *  rest of the scenario cannot apply, and it ends N/A. */
        public void requireSharing() {
            if (!target.memSharing()) throw new NotApplicable(NO_MEM_SHARING);
        }

        /** Runs {@code c} when the scenario ends (in reverse order of registration), even if it failed. */
        public <T extends AutoCloseable> T onClose(T c) {
            cleanup.add(c);
            return c;
        }

        /** {@link GuestDriver.Factory#attach} a fork child of a guest; detached, not destroyed, when the scenario
         *  ends. */
        public GuestDriver attach(org.xenffm.api.DomainId d, int vcpus) {
            return onClose(guests.attach(d, vcpus));
        }

        /** {@link GuestDriver.Factory#stuckConsumer}; killed (if still alive) when the scenario ends. */
        public StuckConsumer stuckConsumer(org.xenffm.api.DomainId d, org.xenffm.api.Gfn gfn) throws Exception {
            return onClose(guests.stuckConsumer(d, gfn));
        }

        @Override public void close() {
            if (rec.crashed()) return; // nothing to tidy on a dead host
            for (int i = cleanup.size() - 1; i >= 0; i--) {
                try {
                    cleanup.get(i).close();
                } catch (Exception e) {
                    rec.fail("cleanup failed: " + e);
                }
            }
        }
    }
}
