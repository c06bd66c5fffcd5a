// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code --emulated-domains}: the guests a one-shot emulated host starts with. "2x4096" = two HVM guests of 4096
 * pages, one vCPU each; "4096:2,1024" = one guest of 4096 pages with 2 vCPUs and one of 1024 pages; a "+altp2m"
 * suffix creates the guest with altp2m="external" (how Xen ≥ 4.19 enables altp2m). Guests get domain ids 1, 2, …
 * in order, as a fresh Xen host would give them.
 */
record EmulatedHostSpec(HostKind host, List<Guest> guests) {
    /** One guest; {@code altp2m}: created with altp2m="external" (Xen ≥ 4.19 fixes the mode at creation). */
    record Guest(long pages, int vcpus, boolean altp2m) {}

    /** --emulated-host: which hypervisor build and CPU the emulator models. */
    enum HostKind { vtx, xen420, debian, bochs, amd }

    static EmulatedHostSpec parse(String s) { return parse(s, HostKind.vtx); }

    static final String DEFAULT = "2x4096";

    static EmulatedHostSpec parse(String s, HostKind host) {
        try {
            return parseGuests(s, host);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("emulated domains '" + s + "': number out of range");
        }
    }

    private static EmulatedHostSpec parseGuests(String s, HostKind host) {
        List<Guest> guests = new ArrayList<>();
        String t = s.trim();
        if (t.isEmpty() || t.equals("0") || t.equals("none")) return new EmulatedHostSpec(host, List.of());
        for (String part : t.split(",")) {
            int times = 1;
            String p = part.trim();
            boolean altp2m = p.endsWith("+altp2m");
            if (altp2m) p = p.substring(0, p.length() - "+altp2m".length());
            int x = p.indexOf('x');
            if (x > 0) {
                times = Math.toIntExact(Args.number(p.substring(0, x)));
                p = p.substring(x + 1);
            }
            int vcpus = 1;
            int colon = p.indexOf(':');
            if (colon > 0) {
                vcpus = Math.toIntExact(Args.number(p.substring(colon + 1)));
                p = p.substring(0, colon);
            }
            long pages = Args.number(p);
            if (times < 1 || times > 64 || pages < 1 || pages > (1L << 22) || vcpus < 1 || vcpus > 64)
                throw new IllegalArgumentException("emulated domains '" + s
                        + "': want NxPAGES[:VCPUS][+altp2m] with 1..64 guests, 1..4194304 pages, 1..64 vCPUs");
            for (int i = 0; i < times; i++) guests.add(new Guest(pages, vcpus, altp2m));
        }
        return new EmulatedHostSpec(host, List.copyOf(guests));
    }
}
