namespace SidecarKit.Tests.Support;

/// <summary>A contract whose DTO is not sealed: a derived instance from another assembly must be refused, not truncated.</summary>
[SidecarContract("open")]
public partial interface IOpenTypes
{
    Task<Animal> EchoAsync(Animal animal, CancellationToken ct = default);

    /// <summary>Answers an instance of a type derived from <see cref="Animal"/> that the server was given.</summary>
    Task<Animal> AdoptAsync(string name, CancellationToken ct = default);
}

/// <summary>An animal; not sealed on purpose (SK0020 is off for this project): what the codec does with a derived instance is under test.</summary>
public record Animal(string Name);

/// <summary>Echoes; adopts with the factory it is given (a derived type made in the test assembly).</summary>
public sealed class OpenTypesService(Func<string, Animal> adopt) : IOpenTypes
{
    public Task<Animal> EchoAsync(Animal animal, CancellationToken ct) => Task.FromResult(animal);

    public Task<Animal> AdoptAsync(string name, CancellationToken ct) => Task.FromResult(adopt(name));
}
