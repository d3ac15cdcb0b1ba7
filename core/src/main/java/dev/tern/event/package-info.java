/**
 * What the pipeline stages hand each other: the preallocated {@link dev.tern.event.PipelineEvent} of the Disruptor
 * ring and the {@link dev.tern.event.Outbound} requests the route stage adds to it for the encode stage. Below both
 * the stages ({@code dev.tern.pipeline}) and the route handlers ({@code dev.tern.route}), so that neither needs the
 * other's package for them.
 */
package dev.tern.event;
