// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * What {@code xc_domain_create} needs for the domains xenffm creates itself — typically an empty fork child
 * (HVM + HAP, like KF/x). {@code altp2mMode} is a creation option on Xen ≥ 4.19 (HVM_PARAM_ALTP2M values);
 * on 4.17 it must be 0 here and the param is set afterwards.
 *
 * @param maxVcpus   vCPUs (a fork child needs its parent's count)
 * @param hvm        an HVM domain
 * @param hap        with hardware-assisted paging (needs {@code hvm})
 * @param altp2mMode an HVM_PARAM_ALTP2M value ({@link HvmParam#ALTP2M_DISABLED} to {@link HvmParam#ALTP2M_LIMITED})
 * @param maxPages   the page limit; 0 leaves Xen's (a fork takes its parent's)
 */
public record DomainConfig(int maxVcpus, boolean hvm, boolean hap, long altp2mMode, long maxPages) {

    /**
     * Checks the altp2m mode.
     *
     * @throws IllegalArgumentException for an altp2m mode that is not an HVM_PARAM_ALTP2M value (0 to 3)
     */
    public DomainConfig {
        if (altp2mMode < HvmParam.ALTP2M_DISABLED || altp2mMode > HvmParam.ALTP2M_LIMITED)
            throw new IllegalArgumentException("altp2m mode " + altp2mMode + " (0 to 3: disabled, mixed, external, "
                    + "limited)");
    }

    /**
     * The same configuration with the altp2m mode chosen at creation (Xen ≥ 4.19).
     *
     * @param mode an HVM_PARAM_ALTP2M value, e.g. {@link HvmParam#ALTP2M_EXTERNAL}
     * @return the new configuration
     */
    public DomainConfig withAltp2mMode(long mode) {
        return new DomainConfig(maxVcpus, hvm, hap, mode, maxPages);
    }

    /**
     * Refuses what the given release cannot express, before any hypercall (both backends call this): a creation-time
     * altp2m mode needs Xen ≥ 4.19 ({@code xen_domctl_createdomain.altp2m_opts}); on 4.17 set HVM_PARAM_ALTP2M after
     * creation instead.
     *
     * @param running the hypervisor's release
     * @throws UnsupportedOnThisXenException a non-zero altp2m mode on Xen before 4.19
     */
    public void checkExpressibleOn(XenVersion running) {
        if (altp2mMode != 0 && !running.altp2mAtCreation())
            throw new UnsupportedOnThisXenException("altp2m mode at domain creation", running, "4.19");
    }
    /**
     * An empty HVM+HAP domain with the given vCPU count, as KF/x creates fork children.
     *
     * @param vcpus the parent's vCPU count
     * @return the configuration
     */
    public static DomainConfig forkChild(int vcpus) {
        return new DomainConfig(vcpus, true, true, 0, 0);
    }
}
