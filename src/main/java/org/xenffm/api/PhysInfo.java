// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * Host facts from {@code xc_physinfo} (XEN_SYSCTL_physinfo): what the host can do for xenffm.
 *
 * @param nrCpus     physical CPUs
 * @param totalPages the host's memory in 4 KiB pages
 * @param freePages  pages not owned by any domain
 * @param hvm        XEN_SYSCTL_PHYSCAP_hvm: HVM guests possible
 * @param hap        XEN_SYSCTL_PHYSCAP_hap: hardware-assisted paging (EPT/NPT)
 * @param vmx        an Intel VT-x host (mem_sharing, altp2m and mem_access need it)
 * @param svm        an AMD SVM host
 */
public record PhysInfo(int nrCpus, long totalPages, long freePages, boolean hvm, boolean hap, boolean vmx,
                       boolean svm) {}
