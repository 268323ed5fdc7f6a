using Statehouse.Cli;

var context = CliContext.CreateDefault();
return await new CliRunner(ClientCommands.CreateRoot(context), context).RunAsync(args).ConfigureAwait(false);
