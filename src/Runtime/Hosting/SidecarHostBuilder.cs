using System.Reflection;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>Configures a <see cref="SidecarHost"/>: the contracts it serves and the transports it can speak.</summary>
public sealed class SidecarHostBuilder
{
    private readonly List<Action<RpcHandlerTable, RpcChannel>> _contracts = [];
    private readonly List<ContractDescriptor> _descriptors = [];
    private readonly List<ContractDescriptor> _callbacks = [];
    private readonly Dictionary<string, SidecarTransport> _transports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<IReadOnlyList<ContractDescriptor>, IReadOnlyList<ContractDescriptor>, string>> _descriptionFormats = new(StringComparer.Ordinal);

    internal SidecarHostBuilder(string[] args)
    {
        // The project's own description (docs/protocol.md, section 16): the contracts' wire shapes as JSON, and the
        // callback contracts the sidecar calls on its parent.
        _descriptionFormats["json"] = (descriptors, callbacks) => "{\"protocolVersion\":\"" + SidecarReadyInfo.CurrentProtocolVersion + "\",\"contracts\":["
            + string.Join(",", descriptors.Select(d => d.DescriptionJson)) + "],\"callbacks\":["
            + string.Join(",", callbacks.Select(d => d.DescriptionJson)) + "]}";
        // The standard's description (docs/polyglot.md, "OpenRPC"), what rpc.discover answers too.
        _descriptionFormats["openrpc"] = (descriptors, callbacks) => Schema.OpenRpcExporter.Export(descriptors, callbacks);
        Arguments = args;
        Options.Version = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
            ?? Options.Version;
        Command = SidecarCommandLine.Parse(args, Options);
    }

    /// <summary>The command line the host was created with.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The settings; the command line has already been applied.</summary>
    public SidecarHostOptions Options { get; } = new();

    internal SidecarCommandLine Command { get; }

    /// <summary>
    /// The sidecar's loggers, writing to stderr at the level of <c>--log-level</c> (one line per entry, in the form of
    /// <see cref="Logging.LogLine"/>, which the parent logs again at the same level). Available while configuring, so
    /// contract implementations can take a logger. <c>LoggerFactory.AddProvider</c> adds any other
    /// <see cref="ILoggerProvider"/> beside stderr (see <see cref="Logging.StderrLoggerFactory"/>).
    /// </summary>
    public ILoggerFactory LoggerFactory => _loggerFactory ??= new Logging.StderrLoggerFactory(Options.LogLevel);

    private ILoggerFactory? _loggerFactory;
    private Logging.StderrLoggerProvider? _stderr;

    /// <summary>
    /// Logs through <paramref name="loggerFactory"/> instead of the sidecar's own stderr factory: for a sidecar whose
    /// logging is set up elsewhere (a Generic Host's <c>ILoggerFactory</c>, see the SidecarKit.Hosting package). Nothing
    /// of that factory may write to stdout, which carries the protocol on the stdio transports.
    /// </summary>
    /// <param name="loggerFactory">The factory the host and its connections log through.</param>
    /// <param name="stderr">
    /// The provider of <paramref name="loggerFactory"/> that writes the parent's log lines on stderr, if it has one: the
    /// ready marker is then written through it, after the lines logged before it and never cut into by one. Without it the
    /// marker is written on <see cref="Console.Error"/>.
    /// </param>
    /// <exception cref="InvalidOperationException"><see cref="LoggerFactory"/> was already read.</exception>
    public SidecarHostBuilder UseLoggerFactory(ILoggerFactory loggerFactory, Logging.StderrLoggerProvider? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (_loggerFactory is not null && !ReferenceEquals(_loggerFactory, loggerFactory))
            throw new InvalidOperationException("UseLoggerFactory must come before anything reads LoggerFactory.");
        _loggerFactory = loggerFactory;
        _stderr = stderr;
        return this;
    }

    /// <summary>Serves <typeparamref name="TContract"/> with one implementation for all connections.</summary>
    public SidecarHostBuilder AddContract<TContract>(TContract implementation) where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return AddContract<TContract>(_ => implementation);
    }

    /// <summary>
    /// Serves <typeparamref name="TContract"/> with an implementation created per connection. The factory receives the
    /// connection, from which the implementation gets clients of the parent's callback contracts
    /// (<c>channel.GetClient&lt;IEvents&gt;()</c>).
    /// </summary>
    public SidecarHostBuilder AddContract<TContract>(Func<RpcChannel, TContract> factory) where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(factory);
        _descriptors.Add(TContract.Descriptor);
        _contracts.Add((table, channel) => table.AddContract(factory(channel)));
        return this;
    }

    /// <summary>
    /// Serves <typeparamref name="TContract"/> with handlers that <paramref name="addHandlers"/> adds to each
    /// connection's table (with <see cref="RpcHandlerTable.AddContractHandlers{TContract}"/>): for implementations that
    /// are not one object per connection, such as one resolved per call (the SidecarKit.Hosting package). The channel
    /// is the connection's, as for <see cref="AddContract{TContract}(Func{RpcChannel, TContract})"/>.
    /// </summary>
    public SidecarHostBuilder AddContractHandlers<TContract>(Action<RpcHandlerTable, RpcChannel> addHandlers) where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(addHandlers);
        _descriptors.Add(TContract.Descriptor);
        _contracts.Add(addHandlers);
        return this;
    }

    /// <summary>
    /// Runs <paramref name="opened"/> for every connection before its contracts' handlers are made (on the stdio
    /// transports the one connection; on a socket transport each client's; on gRPC the server's, whose channel is that of
    /// its callbacks). What it returns is disposed once the connection is closed and its calls have ended (for stdio and
    /// gRPC, at the end of the run): per-connection state, such as a dependency-injection scope.
    /// </summary>
    public SidecarHostBuilder OnConnectionOpened(Func<RpcChannel, IAsyncDisposable?> opened)
    {
        ArgumentNullException.ThrowIfNull(opened);
        _connectionHooks.Add(opened);
        return this;
    }

    private readonly List<Func<RpcChannel, IAsyncDisposable?>> _connectionHooks = [];

    /// <summary>
    /// Declares that the sidecar calls <typeparamref name="TCallback"/> on its parent (with
    /// <c>channel.GetClient&lt;TCallback&gt;()</c>). The contract is announced when the sidecar is ready and in
    /// <c>--describe</c>, so a parent that does not serve it, or serves an incompatible version, fails at start rather
    /// than at the first callback.
    /// </summary>
    public SidecarHostBuilder AddCallbackContract<TCallback>() where TCallback : class, ISidecarContract<TCallback>
    {
        if (!_callbacks.Contains(TCallback.Descriptor)) _callbacks.Add(TCallback.Descriptor);
        return this;
    }

    /// <summary>
    /// Work that must finish before the sidecar reports ready (loading a model, warming a cache): the ready marker,
    /// <c>lifecycle.ready</c> and gRPC health's <c>SERVING</c> come after every startup task has completed. A task
    /// that fails stops the sidecar with exit code 1.
    /// </summary>
    public SidecarHostBuilder AddStartupTask(Func<CancellationToken, Task> startup)
    {
        ArgumentNullException.ThrowIfNull(startup);
        _startupTasks.Add(startup);
        return this;
    }

    private readonly List<Func<CancellationToken, Task>> _startupTasks = [];

    /// <summary>Makes a transport available to <c>--transport</c>.</summary>
    public SidecarHostBuilder AddTransport(SidecarTransport transport)
    {
        _transports[transport.Name] = transport;
        return this;
    }

    /// <summary>
    /// Makes <c>--describe &lt;format&gt;</c> available: <paramref name="describe"/> turns the served contracts into the text
    /// printed on stdout (<c>json</c> and <c>openrpc</c> are built in; the gRPC transport adds <c>proto</c>).
    /// </summary>
    public SidecarHostBuilder AddDescriptionFormat(string format, Func<IReadOnlyList<ContractDescriptor>, string> describe)
    {
        ArgumentNullException.ThrowIfNull(describe);
        return AddDescriptionFormat(format, (contracts, _) => describe(contracts));
    }

    /// <summary>
    /// Makes <c>--describe &lt;format&gt;</c> available: <paramref name="describe"/> turns the served contracts (its first
    /// argument) and the callback contracts the sidecar calls on its parent (its second) into the text printed on stdout.
    /// </summary>
    public SidecarHostBuilder AddDescriptionFormat(string format, Func<IReadOnlyList<ContractDescriptor>, IReadOnlyList<ContractDescriptor>, string> describe)
    {
        ArgumentException.ThrowIfNullOrEmpty(format);
        ArgumentNullException.ThrowIfNull(describe);
        _descriptionFormats[format] = describe;
        return this;
    }

    /// <summary>
    /// Says which files <c>--describe &lt;format&gt; --output &lt;dir&gt;</c> writes for <paramref name="format"/>, when its
    /// description is more than the one text it prints (the gRPC transport's <c>proto</c>: one file per contract, callback
    /// contracts included). Without it, <c>--output</c> writes the printed text as one file named after the contracts.
    /// </summary>
    public SidecarHostBuilder AddDescriptionFiles(string format,
        Func<IReadOnlyList<ContractDescriptor>, IReadOnlyList<ContractDescriptor>, IReadOnlyList<SidecarDescriptionFile>> files)
    {
        ArgumentException.ThrowIfNullOrEmpty(format);
        ArgumentNullException.ThrowIfNull(files);
        _descriptionFiles[format] = files;
        return this;
    }

    private readonly Dictionary<string, Func<IReadOnlyList<ContractDescriptor>, IReadOnlyList<ContractDescriptor>, IReadOnlyList<SidecarDescriptionFile>>> _descriptionFiles =
        new(StringComparer.Ordinal);

    /// <summary>Builds the host.</summary>
    public SidecarHost Build()
    {
        if (_descriptors.Count == 0)
            throw new InvalidOperationException("A sidecar must serve at least one contract: call AddContract first.");
        return new SidecarHost(Options, Command, [.. _contracts], [.. _descriptors], [.. _callbacks], new Dictionary<string, SidecarTransport>(_transports),
            new SidecarDescriptions(new(_descriptionFormats), new(_descriptionFiles)), LoggerFactory, _stderr, [.. _startupTasks], [.. _connectionHooks]);
    }
}
