// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** A feature or value that the running Xen version does not have (e.g. r_pw on 4.17, xc_monitor_io before 4.18). */
public class UnsupportedOnThisXenException extends IllegalArgumentException {
    private final String feature;
    private final XenVersion running;

    public UnsupportedOnThisXenException(String feature, XenVersion running, String since) {
        super(feature + " needs Xen " + since + " or newer; the running Xen is " + running);
        this.feature = feature;
        this.running = running;
    }

    public String feature() { return feature; }
    public XenVersion running() { return running; }
}
