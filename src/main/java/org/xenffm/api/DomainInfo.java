// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * What {@code xc_domain_getinfolist} (struct xen_domctl_getdomaininfo) reports for one domain. {@code paused} is the
 * scheduler's view (XEN_DOMINF_paused: paused by the toolstack); Xen-internal pauses such as a fork parent's or a
 * vm_event-paused vCPU do not show here, as on real Xen.
 *
 * @param domain      the domain's id
 * @param dying       XEN_DOMINF_dying: destruction has started
 * @param shutdown    XEN_DOMINF_shutdown: the guest shut down (or crashed)
 * @param paused      XEN_DOMINF_paused: paused by the toolstack
 * @param hvm         XEN_DOMINF_hvm_guest
 * @param hap         XEN_DOMINF_hap: uses hardware-assisted paging (needed by mem_sharing, altp2m, mem_access)
 * @param totPages    pages the domain owns (shared pages belong to dom_cow and are not counted)
 * @param maxPages    the domain's page limit
 * @param shrPages    gfns of the domain that map a shared page
 * @param maxVcpuId   the highest vCPU id
 * @param onlineVcpus vCPUs currently online
 */
public record DomainInfo(DomainId domain, boolean dying, boolean shutdown, boolean paused, boolean hvm, boolean hap,
                         long totPages, long maxPages, long shrPages, int maxVcpuId, int onlineVcpus) {
    /** {@return the number of vCPUs the domain has, online or not} */
    public int vcpus() { return maxVcpuId + 1; }
}
