/**
 * The contract between the transports and the broker core: the message ids and layouts of the rings that join them
 * (see {@link dev.tern.ring.RingProtocol}). Depends on no other Tern package, so either side can use it alone.
 */
package dev.tern.ring;
