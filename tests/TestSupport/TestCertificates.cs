using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarKit.Tests.Support;

/// <summary>
/// A small PKI made for one test run with .NET's <see cref="CertificateRequest"/>: a CA, a server certificate it issued
/// for 127.0.0.1 and localhost, a client certificate it issued, and a client certificate of another CA. Each is also
/// written as PEM files (certificate and key) into <see cref="Directory"/>, for the sidecar's <c>--tls-*</c> flags and
/// for grpcio.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("skt-tls-").FullName;
        using RSA caKey = RSA.Create(2048);
        Authority = SelfSignedAuthority("CN=SidecarKit Test CA", caKey);
        using RSA otherKey = RSA.Create(2048);
        OtherAuthority = SelfSignedAuthority("CN=Someone Else's CA", otherKey);
        Server = Issue(Authority, caKey, "CN=demo-sidecar", serverAuth: true);
        Client = Issue(Authority, caKey, "CN=demo-parent", serverAuth: false);
        Stranger = Issue(OtherAuthority, otherKey, "CN=stranger", serverAuth: false);
        Write("ca", Authority);
        Write("server", Server);
        Write("client", Client);
        Write("stranger", Stranger);
    }

    /// <summary>The folder holding <c>ca.pem</c>, <c>server.pem</c>/<c>server.key</c>, <c>client.pem</c>/<c>client.key</c>, <c>stranger.pem</c>/<c>stranger.key</c>.</summary>
    public string Directory { get; }

    public X509Certificate2 Authority { get; }
    public X509Certificate2 OtherAuthority { get; }
    public X509Certificate2 Server { get; }
    public X509Certificate2 Client { get; }
    public X509Certificate2 Stranger { get; }

    public string Pem(string name) => Path.Combine(Directory, name + ".pem");
    public string Key(string name) => Path.Combine(Directory, name + ".key");

    public X509Certificate2Collection Authorities => [Authority];

    private static X509Certificate2 SelfSignedAuthority(string subject, RSA key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, RSA authorityKey, string subject, bool serverAuth)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using X509Certificate2 issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForRSA(authorityKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private void Write(string name, X509Certificate2 certificate)
    {
        File.WriteAllText(Pem(name), certificate.ExportCertificatePem());
        if (certificate.HasPrivateKey) File.WriteAllText(Key(name), certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        foreach (X509Certificate2 c in new[] { Authority, OtherAuthority, Server, Client, Stranger }) c.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
