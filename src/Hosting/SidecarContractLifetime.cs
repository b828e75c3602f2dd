namespace SidecarKit.Hosting;

/// <summary>How long an implementation of a contract served from dependency injection lives (<see cref="SidecarServiceBuilder.AddContract{TContract, TImplementation}"/>).</summary>
public enum SidecarContractLifetime
{
    /// <summary>
    /// One instance, a singleton of the container, serves every call of every connection. It cannot take a
    /// <see cref="SidecarConnection"/>, a callback client or other scoped services.
    /// </summary>
    Singleton,

    /// <summary>
    /// One instance per connection, resolved in a scope the connection owns: the stdio transports have one connection,
    /// a socket transport one per client, gRPC one for its server. The scope is disposed once the connection is closed
    /// and its calls have ended. The instance can take the connection (<see cref="SidecarConnection"/>, or a client of a callback contract) to call the parent
    /// back, and any scoped service (shared by the connection's contracts).
    /// </summary>
    PerConnection,

    /// <summary>
    /// A new scope, and a new instance resolved in it, for every call (a stream's scope lasts until the stream ends):
    /// the lifetime of ASP.NET Core's controllers. The instance can take the calling connection's
    /// <see cref="SidecarConnection"/> (or a client of a callback contract) and any scoped service.
    /// </summary>
    PerCall,
}
