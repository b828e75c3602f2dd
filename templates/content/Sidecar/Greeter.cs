using Microsoft.Extensions.Logging;
using MyContract;

namespace MySidecar;

/// <summary>The sidecar's implementation of <see cref="IGreeter"/>.</summary>
internal sealed class Greeter(ILogger<Greeter> logger) : IGreeter
{
    public Task<string> GreetAsync(string name, CancellationToken cancellationToken)
    {
        logger.LogInformation("Greeting {Name}", name);
        return Task.FromResult($"Hello, {name}!");
    }
}
