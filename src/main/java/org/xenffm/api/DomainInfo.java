// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * What {@code xc_domain_getinfolist} (struct xen_domctl_getdomaininfo) reports for one domain. {@code paused} is the
 * scheduler's view (XEN_DOMINF_paused: paused by the toolstack); Xen-internal pauses such as a fork parent's or a
 * vm_event-paused vCPU do not show here, as on real Xen.
 */
public record DomainInfo(DomainId domain, boolean dying, boolean shutdown, boolean paused, boolean hvm, boolean hap,
                         long totPages, long maxPages, long shrPages, int maxVcpuId, int onlineVcpus) {
    public int vcpus() { return maxVcpuId + 1; }
}
