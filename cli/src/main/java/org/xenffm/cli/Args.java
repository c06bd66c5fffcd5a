// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.GrantRef;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import picocli.CommandLine;

import java.util.Locale;

/**
 * Parsing of the CLI's argument kinds. Numbers are decimal or 0x-hex (as xen-memshare's strtol base 0, minus
 * octal, which only surprises). Registered once as picocli converters, so a malformed value is a usage error.
 */
final class Args {
    private Args() {}

    static long number(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("_", "");
        if (t.startsWith("0x")) return Long.parseUnsignedLong(t.substring(2), 16);
        return Long.parseUnsignedLong(t);
    }

    static long u32(String s) {
        long v = number(s);
        if (v > 0xffffffffL) throw new IllegalArgumentException(s + " does not fit 32 bits");
        return v;
    }

    static DomainId domain(String s) {
        String t = s.trim();
        if (t.startsWith("d") || t.startsWith("D")) t = t.substring(1);
        long v = number(t);
        if (v > 0x7fef) throw new IllegalArgumentException("domain id " + v + " is out of range 0..32751");
        return DomainId.of((int) v);
    }

    /** A gfn; "invalid" or "~0" is INVALID_GFN. */
    static Gfn gfn(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("invalid") || t.equals("~0")) return Gfn.INVALID;
        return Gfn.of(number(t));
    }

    static ViewId view(String s) {
        long v = number(s);
        if (v > 0xffff) throw new IllegalArgumentException("view index " + v + " is out of range 0..65535");
        return ViewId.of((int) v);
    }

    static MemAccess access(String s) {
        try {
            return MemAccess.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown access '" + s
                    + "' (one of n r w rw x rx wx rwx rx2rw n2rwx r_pw default)");
        }
    }

    /** A gfn range: FIRST, FIRST-LAST, FIRST..LAST or FIRST+COUNT (inclusive, like xen-memshare's range). */
    record GfnRange(Gfn first, Gfn last) {
        GfnRange {
            if (Long.compareUnsigned(first.value(), last.value()) > 0)
                throw new IllegalArgumentException("range " + first + ".." + last + " ends before it starts");
        }

        long count() { return last.value() - first.value() + 1; }

        static GfnRange parse(String s) {
            String t = s.trim();
            int plus = t.indexOf('+');
            if (plus > 0) {
                long count = number(t.substring(plus + 1));
                if (count == 0) throw new IllegalArgumentException("empty range " + s);
                Gfn f = gfn(t.substring(0, plus));
                return new GfnRange(f, f.plus(count - 1));
            }
            int dots = t.indexOf("..");
            if (dots > 0) return new GfnRange(gfn(t.substring(0, dots)), gfn(t.substring(dots + 2)));
            int dash = t.indexOf('-', 1);
            if (dash > 0) return new GfnRange(gfn(t.substring(0, dash)), gfn(t.substring(dash + 1)));
            Gfn g = gfn(t);
            return new GfnRange(g, g);
        }

        /** The single gfn ~0 (INVALID_GFN), which some calls read as "the default access". */
        boolean isInvalidGfn() { return first.isInvalid() && last.isInvalid(); }

        /**
         * This range, if it stays within every domain's max_gpfn (xc_domain_maximum_gpfn, the p2m's max_mapped_pfn):
         * Xen maps nothing above it (p2m-ept.c:ept_get_entry returns INVALID_MFN past max_mapped_pfn; range_share
         * and set_mem_access refuse it with EINVAL), and a walk to 2^64 would never end. Else a usage error saying
         * the domain's range, before any call that changes anything.
         */
        GfnRange within(org.xenffm.api.Hypervisor hv, DomainId... domains) {
            for (DomainId d : domains) {
                long max = hv.domainMaximumGpfn(d);
                if (Long.compareUnsigned(last.value(), max) > 0)
                    throw new IllegalArgumentException(this + " goes beyond " + d + "'s max_gpfn " + hex(max)
                            + " (xc_domain_maximum_gpfn: nothing is mapped above it); " + d + "'s gfns are 0x0-"
                            + hex(max));
            }
            return this;
        }

        @Override public String toString() {
            return first.equals(last) ? first.toString()
                    : "gfns 0x" + Long.toHexString(first.value()) + "..0x" + Long.toHexString(last.value());
        }
    }

    /** on/off positional switches (visibility, suppress_ve, memshr-control). */
    enum Toggle {
        on, off;

        boolean value() { return this == on; }
    }

    static void registerConverters(CommandLine cl) {
        cl.registerConverter(DomainId.class, Args::domain);
        cl.registerConverter(Gfn.class, Args::gfn);
        cl.registerConverter(ViewId.class, Args::view);
        cl.registerConverter(VcpuId.class, s -> VcpuId.of(Math.toIntExact(number(s))));
        cl.registerConverter(MemAccess.class, Args::access);
        cl.registerConverter(SharingHandle.class, s -> SharingHandle.of(number(s)));
        cl.registerConverter(GrantRef.class, s -> GrantRef.of((int) u32(s)));
        cl.registerConverter(GfnRange.class, GfnRange::parse);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
    }

    static String hex(long v) { return "0x" + Long.toHexString(v); }
}
