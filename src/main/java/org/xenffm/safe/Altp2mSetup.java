// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenVersion;

/**
 * The one way to prepare a domain for altp2m on every supported Xen release (docs/xen-semantics.md §4.1, §4.3):
 * <ul>
 * <li>Xen 4.17: the toolstack sets HVM_PARAM_ALTP2M after creation, but only once (hvm.c:hvm_allow_set_param —
 * the same value again is fine, another one is EEXIST); then {@code xc_altp2m_set_domain_state(1)}.</li>
 * <li>Xen ≥ 4.19: the mode is fixed when the domain is created ({@code xen_domctl_createdomain.altp2m_opts}, xl's
 * {@code altp2m = "external"}) and the param is read-only (EEXIST for every value, OBSERVED 4.20.4). So the mode
 * is read; a domain created without altp2m cannot get it any more, and {@link #enable} says how to create it.</li>
 * </ul>
 * Either way, a failure is an {@link Altp2mModeException} that explains, never a bare EEXIST or EINVAL.
 */
public final class Altp2mSetup {
    private Altp2mSetup() {}

    /**
     * Gives the domain an altp2m mode (4.17) or checks the one it was created with (≥ 4.19), then activates altp2m
     * ({@code xc_altp2m_set_domain_state(1)}: view 0 with the host's default access; a no-op when already active).
     * Idempotent. Built on xc_version, xc_hvm_param_get/set(HVM_PARAM_ALTP2M) and xc_altp2m_set_domain_state.
     *
     * @param hv     the hypervisor
     * @param domain the HVM domain
     * @param mode the HVM_PARAM_ALTP2M mode wanted: {@link HvmParam#ALTP2M_EXTERNAL} for a dom0 tool (mixed and
     *             limited also let dom0 drive every altp2m op); on ≥ 4.19 a domain created with another non-zero
     *             mode is used as it is
     * @return the domain's mode now in force
     * @throws Altp2mModeException 4.17: the domain already has a different mode; ≥ 4.19: it was created without
     *         altp2m (the message names the xl setting and {@code DomainConfig.withAltp2mMode} for domainCreate)
     * @throws IllegalArgumentException a mode other than 1, 2 or 3
     * @throws org.xenffm.api.XenException EOPNOTSUPP the host has no altp2m (boot option altp2m=1, VT-x) or the
     *         domain is not HVM; ESRCH no such domain
     */
    public static long enable(Hypervisor hv, DomainId domain, long mode) {
        if (mode < HvmParam.ALTP2M_MIXED || mode > HvmParam.ALTP2M_LIMITED)
            throw new IllegalArgumentException("altp2m mode " + mode + ": 1 mixed, 2 external or 3 limited");
        XenVersion running = hv.version();
        long current = hv.hvmParamGet(domain, HvmParam.ALTP2M);
        if (running.altp2mAtCreation()) {
            if (current == HvmParam.ALTP2M_DISABLED)
                throw new Altp2mModeException(domain, running, current, mode, domain
                        + " was created without altp2m, and on Xen " + running + " the mode is fixed at creation "
                        + "(HVM_PARAM_ALTP2M is read-only): recreate the guest with altp2m = \"" + name(mode)
                        + "\" in its xl config, or create it with DomainConfig.withAltp2mMode(" + mode + ") for "
                        + "domainCreate");
        } else if (current == HvmParam.ALTP2M_DISABLED) {
            hv.hvmParamSet(domain, HvmParam.ALTP2M, mode);
            current = mode;
        } else if (current != mode) {
            throw new Altp2mModeException(domain, running, current, mode, domain + " already has altp2m mode "
                    + name(current) + " and on Xen " + running + " HVM_PARAM_ALTP2M changes only once: ask for "
                    + name(current) + " (" + current + "), which lets dom0 drive altp2m too, or recreate the guest");
        }
        hv.altp2mSetDomainState(domain, true);
        return current;
    }

    /**
     * xl's spelling of HVM_PARAM_ALTP2M values.
     *
     * @param mode the value
     * @return "disabled", "mixed", "external", "limited", or "mode N"
     */
    public static String name(long mode) {
        return switch ((int) mode) {
            case 0 -> "disabled";
            case 1 -> "mixed";
            case 2 -> "external";
            case 3 -> "limited";
            default -> "mode " + mode;
        };
    }

    /**
     * A domain's altp2m mode cannot become the one asked for on the running Xen; the message says what to do. Its
     * errno is EEXIST, what setting the param would answer.
     *
     * @serial exclude
     */
    public static final class Altp2mModeException extends org.xenffm.api.XenException {
        private final XenVersion running;
        private final long current, requested;

        Altp2mModeException(DomainId domain, XenVersion running, long current, long requested, String why) {
            // EEXIST: what setting the param would answer (changed twice on 4.17, read-only on ≥ 4.19)
            super("xc_hvm_param_set", domain, null, null, Errno.EEXIST.value(), why);
            this.running = running;
            this.current = current;
            this.requested = requested;
        }

        /** {@return the running release} */
        public XenVersion running() { return running; }
        /** {@return the domain's HVM_PARAM_ALTP2M} */
        public long current() { return current; }
        /** {@return the mode asked for} */
        public long requested() { return requested; }
    }
}
