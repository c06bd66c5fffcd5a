// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * A feature or value that the running Xen version does not have (e.g. r_pw on 4.17, xc_monitor_io before 4.18),
 * refused before any hypercall, so nothing has changed.
 *
 * @serial exclude
 */
public class UnsupportedOnThisXenException extends IllegalArgumentException {
    private final String feature;
    private final XenVersion running;

    /**
     * A refusal.
     *
     * @param feature the call or value, e.g. {@code xc_monitor_io}
     * @param running the running release
     * @param since   the first release that has it, e.g. "4.18"
     */
    public UnsupportedOnThisXenException(String feature, XenVersion running, String since) {
        super(feature + " needs Xen " + since + " or newer; the running Xen is " + running);
        this.feature = feature;
        this.running = running;
    }

    /** {@return the call or value refused} */
    public String feature() { return feature; }
    /** {@return the running release, which lacks it} */
    public XenVersion running() { return running; }
}
