// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** Host facts from {@code xc_physinfo} plus the version: what the host can do for xenffm. */
public record PhysInfo(int nrCpus, long totalPages, long freePages, boolean hvm, boolean hap, boolean vmx,
                       boolean svm) {}
