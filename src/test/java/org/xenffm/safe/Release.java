// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.XenVersion;

/**
 * The releases the safe layer is tested on ({@code @ParameterizedClass @EnumSource(Release.class)}). Where a release
 * needs another expectation, it is one of the methods below, naming the docs/xen-semantics.md row it follows.
 */
enum Release {
    XEN_4_17(XenVersion.V4_17), XEN_4_20(XenVersion.V4_20);

    final XenVersion version;

    Release(XenVersion version) { this.version = version; }

    /**
     * §4.5 (≥ 4.19 lazy copies take the view's default): a gfn may not be both shared and declared in a view, the
     * layer refuses it ({@link Hazard#SHARED_AND_DECLARED_ON_4_19}).
     */
    boolean keepsViewsOnSharedGfns() { return !version.altp2mAtCreation(); }

    /** §3.10 step 6 / §8.20: ≥ 4.19 a parent with an altp2m mode cannot be forked (EEXIST), the layer refuses it. */
    boolean forksAltp2mParents() { return !version.altp2mAtCreation(); }

    @Override public String toString() { return "Xen " + version; }
}
