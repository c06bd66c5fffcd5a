// SPDX-License-Identifier: Apache-2.0
/**
 * The jextract bindings of Xen's toolstack libraries and public headers, one package per Xen release. Generated,
 * never edited by hand (bindings/regenerate.sh); only org.xenffm, which picks a release at run time, may use them.
 */
module org.xenffm.bindings {
    exports org.xenffm.bindings.xen417 to org.xenffm;
    exports org.xenffm.bindings.xen420 to org.xenffm;
}
