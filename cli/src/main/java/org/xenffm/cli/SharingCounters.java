// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Hypervisor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sharing counters dom0 can read: xc_sharing_freed_pages, xc_sharing_used_frames and each domain's shr_pages
 * (xc_domain_getinfolist). Xen keeps Σ shr_pages = freed + used (xenctrl.h; mem_sharing.c counter updates).
 */
record SharingCounters(long freed, long used, Map<DomainId, Long> shrPages) {

    static SharingCounters read(Hypervisor hv, List<DomainId> domains) {
        Map<DomainId, Long> shr = new LinkedHashMap<>();
        for (DomainId d : domains) shr.put(d, hv.domainGetinfo(d).shrPages());
        return new SharingCounters(hv.sharingFreedPages(), hv.sharingUsedFrames(), shr);
    }

    /** Every domain's shr_pages, so that the invariant can be checked. */
    static SharingCounters readAll(Hypervisor hv) {
        Map<DomainId, Long> shr = new LinkedHashMap<>();
        for (DomainInfo i : hv.domainGetinfolist(DomainId.DOM0, 1 << 15)) shr.put(i.domain(), i.shrPages());
        return new SharingCounters(hv.sharingFreedPages(), hv.sharingUsedFrames(), shr);
    }

    long shr(DomainId d) { return shrPages.getOrDefault(d, 0L); }

    long sumShr() { return shrPages.values().stream().mapToLong(Long::longValue).sum(); }

    /** Σ shr_pages = freed + used; meaningful only when every domain is included. */
    boolean invariantHolds() { return sumShr() == freed + used; }

    Json toJson() {
        Json per = Json.object();
        shrPages.forEach((d, n) -> per.put(Integer.toString(d.value()), n));
        return Json.object().putUnsigned("freed_pages", freed).putUnsigned("used_frames", used)
                .put("shr_pages", per);
    }

    String human() {
        StringBuilder sb = new StringBuilder("freed pages " + freed + ", used frames " + used);
        shrPages.forEach((d, n) -> sb.append(", ").append(d).append(" shr_pages ").append(n));
        return sb.toString();
    }

    /** "freed +3, used -1, d1 shr_pages +2" — what changed from {@code before}. */
    String delta(SharingCounters before) {
        StringBuilder sb = new StringBuilder("freed " + signed(freed - before.freed) + ", used "
                + signed(used - before.used));
        shrPages.forEach((d, n) -> sb.append(", ").append(d).append(" shr_pages ")
                .append(signed(n - before.shr(d))));
        return sb.toString();
    }

    static String signed(long v) { return v >= 0 ? "+" + v : Long.toString(v); }
}
