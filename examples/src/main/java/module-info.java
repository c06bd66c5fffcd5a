// SPDX-License-Identifier: Apache-2.0
/** README's library example as a module of its own: it reads org.xenffm and nothing else. */
module org.xenffm.example {
    requires org.xenffm;
}
