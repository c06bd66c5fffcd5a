// SPDX-License-Identifier: Apache-2.0
/**
 * Virtual-machine introspection primitives built on {@link org.xenffm.api.Hypervisor}: guest memory by physical and
 * virtual address ({@link org.xenffm.vmi.GuestMemory}), the x86 page walk in every paging mode with typed
 * translation errors ({@link org.xenffm.vmi.Translation}, {@link org.xenffm.vmi.TranslationException}).
 */
package org.xenffm.vmi;
