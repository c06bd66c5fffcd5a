// SPDX-License-Identifier: Apache-2.0
/**
 * xenffm: Xen's memory sharing, altp2m views, mem_access and vm_event monitoring from Java, through FFM bindings to
 * libxenctrl ({@link org.xenffm.xen.XenHypervisor}) or on an emulated Xen 4.17/4.20
 * ({@link org.xenffm.emulated.EmulatedHypervisor}), both behind {@link org.xenffm.api.Hypervisor}.
 *
 * <p>Native access: only the FFM backend needs it. On the module path grant it with
 * {@code --enable-native-access=org.xenffm}, on the class path with {@code --enable-native-access=ALL-UNNAMED}
 * (or {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar's manifest). The emulator, vmevent and safe
 * need none, and run under {@code --illegal-native-access=deny}.
 */
module org.xenffm {
    requires org.xenffm.bindings;
    requires org.slf4j;

    exports org.xenffm.api;
    exports org.xenffm.xen;
    exports org.xenffm.emulated;
    exports org.xenffm.vmevent;
    exports org.xenffm.safe;
    exports org.xenffm.vmi;
    exports org.xenffm.stealth;
}
