package org.xenffm.it;

import java.util.ArrayList;
import java.util.List;
import org.xenffm.api.Hypervisor;

/**
 * One scenario of xen-semantics §8, written once against {@link Hypervisor} and {@link GuestDriver}. The group says
 * which Bochs boot runs it: "panic" scenarios crash real Xen 4.17.5 and so run alone, last.
 */
public record Scenario(String name, String group, String summary, Body body) {
    @FunctionalInterface
    public interface Body {
        void run(Ctx ctx) throws Exception;
    }

    /** What a scenario gets: the hypervisor, a guest factory, its recorder; and it tidies up what it created. */
    public static final class Ctx implements AutoCloseable {
        public final Hypervisor hv;
        public final Recorder rec;
        private final GuestDriver.Factory guests;
        private final List<AutoCloseable> cleanup = new ArrayList<>();
        private int guestCount;

        Ctx(Hypervisor hv, GuestDriver.Factory guests, Recorder rec) {
            this.hv = hv;
            this.guests = guests;
            this.rec = rec;
        }

        /** A fresh paused guest with {@code vcpus} vCPUs, destroyed when the scenario ends. */
        public GuestDriver guest(int vcpus) {
            GuestDriver g = guests.create(rec.scenario().replaceAll("[^a-z0-9]", "") + "g" + (++guestCount), vcpus);
            cleanup.add(g);
            return g;
        }

        /** Runs {@code c} when the scenario ends (in reverse order of registration), even if it failed. */
        public <T extends AutoCloseable> T onClose(T c) {
            cleanup.add(c);
            return c;
        }

        /** Drives a domain the scenario created itself, a fork child of a guest (its vCPUs continue the parent's
         *  loop); detached, not destroyed, when the scenario ends. */
        public GuestDriver attach(org.xenffm.api.DomainId d, int vcpus) {
            return onClose(hv instanceof org.xenffm.emulated.EmulatedHypervisor emu ? EmulatedGuest.attach(emu, d, vcpus)
                    : PuppetGuest.attach(hv, d, vcpus));
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
