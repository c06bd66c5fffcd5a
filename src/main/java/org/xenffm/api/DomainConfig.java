package org.xenffm.api;

/**
 * What {@code xc_domain_create} needs for the domains xenffm creates itself — typically an empty fork child
 * (HVM + HAP, like KF/x). {@code altp2mMode} is a creation option on Xen ≥ 4.19 (HVM_PARAM_ALTP2M values);
 * on 4.17 it must be 0 here and the param is set afterwards.
 */
public record DomainConfig(int maxVcpus, boolean hvm, boolean hap, long altp2mMode, long maxPages) {
    /** An empty HVM+HAP domain with the given vCPU count, as KF/x creates fork children. */
    public static DomainConfig forkChild(int vcpus) {
        return new DomainConfig(vcpus, true, true, 0, 0);
    }
}
