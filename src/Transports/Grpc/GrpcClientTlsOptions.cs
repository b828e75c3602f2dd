using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// How the parent reaches a sidecar that serves TLS (<c>--tls-cert</c>; docs/deployment.md): which server certificate
/// it trusts, and the certificate it presents itself when the sidecar requires one (<c>--tls-client-ca</c>). The bearer
/// token (<see cref="GrpcClientOptions.Token"/>) still goes on top.
/// </summary>
public sealed class GrpcClientTlsOptions
{
    /// <summary>Whether to speak TLS (<c>https</c>). Set by giving any of the other settings; set it alone to trust the machine's store.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The authority (or authorities) that issued the sidecar's certificate; when set, only a certificate that chains to
    /// one of them is trusted (the machine's trust store is not consulted) and its name must match the address.
    /// Default: the machine's trust store.
    /// </summary>
    public X509Certificate2Collection? CertificateAuthorities { get; set; }

    /// <summary>
    /// The SHA-256 hash of the sidecar's certificate (hex, case and colons ignored): a pinned certificate is trusted as
    /// it is, self-signed or not, whatever its name; any other is refused.
    /// </summary>
    public string? ServerCertificateSha256 { get; set; }

    /// <summary>The certificate (with its private key) the parent presents, for a sidecar that requires client certificates.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The name the server certificate must carry, when it is not the address's host (an IP address, a pod's address).</summary>
    public string? ServerName { get; set; }

    /// <summary>
    /// A PEM file with the authority (or authorities) of <see cref="CertificateAuthorities"/>, read when the channel is
    /// made: the form configuration can give (<c>"Tls": { "CertificateAuthorityPath": "/etc/demo/ca.pem" }</c>).
    /// </summary>
    public string? CertificateAuthorityPath { get; set; }

    /// <summary>A PEM file with the certificate of <see cref="ClientCertificate"/>, read when the channel is made; its key in <see cref="ClientKeyPath"/> or in the same file.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The PEM file of <see cref="ClientCertificatePath"/>'s private key, when it is not in the certificate's file.</summary>
    public string? ClientKeyPath { get; set; }

    internal bool IsEnabled => Enabled || CertificateAuthorities is not null || ServerCertificateSha256 is not null || ClientCertificate is not null
        || CertificateAuthorityPath is not null || ClientCertificatePath is not null;

    /// <summary>The authorities given in code, else those of <see cref="CertificateAuthorityPath"/>; null for none.</summary>
    internal X509Certificate2Collection? LoadCertificateAuthorities()
    {
        if (CertificateAuthorities is not null || CertificateAuthorityPath is null) return CertificateAuthorities;
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(CertificateAuthorityPath);
        return all.Count > 0 ? all : throw new CryptographicException($"'{CertificateAuthorityPath}' holds no PEM certificate.");
    }

    /// <summary>The client certificate given in code, else the one of <see cref="ClientCertificatePath"/>; null for none.</summary>
    internal X509Certificate2? LoadClientCertificate()
        => ClientCertificate ?? (ClientCertificatePath is { } path ? X509Certificate2.CreateFromPemFile(path, ClientKeyPath) : null);

    /// <summary>The SHA-256 hash of <paramref name="certificate"/> as <see cref="ServerCertificateSha256"/> takes it.</summary>
    public static string Sha256Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }
}
