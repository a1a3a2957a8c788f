/**
 * Tokens as the terms files, the tasks and the page name them: native ETH is address(0); an ERC-20's decimals
 * and symbol are read from the chain through any ethers Provider (a wallet's too).
 */
import { Contract, type Provider, ZeroAddress } from "ethers";
import { RuleError } from "./errors";

/** A token as the files and tasks name it: native ETH is address(0). */
export interface ResolvedToken {
  address: string;
  symbol: string;
  decimals: number;
}

export const NATIVE_ETH: ResolvedToken = { address: ZeroAddress, symbol: "ETH", decimals: 18 };

export const ERC20_METADATA = ["function decimals() view returns (uint8)", "function symbol() view returns (string)"];

/** Reads an ERC-20's decimals and symbol (the symbol falls back to the address); `where` names the network in errors. */
export async function tokenAt(provider: Provider, address: string, where = "this network"): Promise<ResolvedToken> {
  if (address === ZeroAddress) return NATIVE_ETH;
  const code = await provider.getCode(address);
  if (code === "0x") throw new RuleError(`no contract at ${address} on ${where}`);
  const erc20 = new Contract(address, ERC20_METADATA, provider);
  let decimals: number;
  try {
    decimals = Number(await erc20.getFunction("decimals").staticCall());
  } catch {
    throw new RuleError(`${address} does not answer decimals() (not an ERC-20?)`);
  }
  let symbol = address;
  try {
    symbol = String(await erc20.getFunction("symbol").staticCall());
  } catch {
    // bytes32 symbols (old tokens) and tokens without one: name it by its address
  }
  return { address, symbol, decimals };
}
